// Calls to a collector's HTTP API as a client with a token would make them.
import { readFileSync } from "node:fs";

/** The Authorization header for the token in `tokenFile` (its first line), e.g. a collector's local api-token. */
export function bearer(tokenFile: string | undefined): Record<string, string> {
  return tokenFile === undefined ? {} : { authorization: `Bearer ${readFileSync(tokenFile, "utf8").split("\n")[0]?.trim() ?? ""}` };
}

/** POST `body` as application/json with the token in `tokenFile`. */
export function postJson(url: string, body: string, tokenFile: string | undefined): Promise<Response> {
  return fetch(url, { method: "POST", headers: { ...bearer(tokenFile), "content-type": "application/json" }, body });
}
