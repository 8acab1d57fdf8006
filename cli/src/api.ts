// How the CLI reaches a collector's HTTP API: the base URL and the bearer token it sends.
//
// URL: --api, else EASTWEST_API, else http://127.0.0.1:7471. Token, first found: --token-file FILE (the token on
// its first line), EASTWEST_TOKEN (the token itself), EASTWEST_TOKEN_FILE; and only when the URL is a loopback
// address, the local token a collector keeps beside its store (api-token in the directory of --data or
// EASTWEST_STORE_PATH, then eastwest-data/ and /var/lib/eastwest/): a default never leaves this machine.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, errorMessage } from "@eastwest/common";
import { parseExact } from "@eastwest/collector/format";
import { LOCAL_TOKEN_FILE, localTokenPath, readClientToken } from "@eastwest/collector/tokens";

export const API_OPTIONS = { api: { type: "string" as const }, "token-file": { type: "string" as const } };

export const API_USAGE = `  --api URL               collector HTTP API (http://127.0.0.1:7471)  env EASTWEST_API
  --token-file FILE       bearer token for the API (first line)  env EASTWEST_TOKEN (the token),
                          EASTWEST_TOKEN_FILE; default on loopback: the collector's local
                          token, api-token beside its store (eastwest-data/, /var/lib/eastwest/)
`;

export interface ApiTarget {
  base: string;
  /** The Authorization header, when a token was found. */
  headers: Record<string, string>;
}

type Env = Record<string, string | undefined>;

export function apiTarget(values: Record<string, unknown>, env: Env = process.env): ApiTarget {
  const base = ((values["api"] as string | undefined) ?? env["EASTWEST_API"] ?? "http://127.0.0.1:7471").replace(/\/$/, "");
  const token = findToken(values, env, base);
  return { base, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } };
}

function findToken(values: Record<string, unknown>, env: Env, base: string): string | undefined {
  const file = (values["token-file"] as string | undefined) ?? (env["EASTWEST_TOKEN"] ? undefined : env["EASTWEST_TOKEN_FILE"]);
  if (file !== undefined) {
    try {
      return readClientToken(file);
    } catch (err) {
      throw new ConfigError([`--token-file ${file}: ${errorMessage(err)}`], { cause: err });
    }
  }
  if (env["EASTWEST_TOKEN"]) return env["EASTWEST_TOKEN"].trim();
  if (!isLoopbackUrl(base)) return undefined;
  const data = (values["data"] as string | undefined) ?? env["EASTWEST_STORE_PATH"];
  const candidates = [...(data ? [localTokenPath(data)] : []), join("eastwest-data", LOCAL_TOKEN_FILE), join("/var/lib/eastwest", LOCAL_TOKEN_FILE)];
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      return readClientToken(c);
    } catch {
      // why: not ours to read (another user's collector); try the next, or send none and let the API say 401.
    }
  }
  return undefined;
}

function isLoopbackUrl(base: string): boolean {
  try {
    const host = new URL(base).hostname.replace(/^\[(.*)\]$/, "$1");
    return host === "localhost" || host.startsWith("127.") || host === "::1";
  } catch {
    return false;
  }
}

/** GET or POST (a JSON body) to the API; the answer's JSON, or a ConfigError (400 with problems) or Error. */
export async function callApi(target: ApiTarget, path: string, post?: { body: string }): Promise<unknown> {
  const url = target.base + path;
  const init: RequestInit = post ? { method: "POST", headers: { ...target.headers, "content-type": "application/json" }, body: post.body } : { headers: target.headers };
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new Error(`cannot reach the collector at ${url}: ${fetchFailure(err)} (is 'eastwest collector' running? --api)`);
  }
  const text = await res.text();
  let body: { error?: string; problems?: string[] } = {};
  try {
    body = text ? (parseExact(text) as typeof body) : {};
  } catch {
    body = { error: text.slice(0, 200) };
  }
  if (res.ok) return body;
  if (res.status === 400 && body.problems) throw new ConfigError(body.problems);
  const hint = res.status === 401 || res.status === 403 ? " (--token-file FILE or EASTWEST_TOKEN; a token: 'eastwest token new')" : "";
  throw new Error(`collector answered ${res.status}: ${body.error ?? text}${hint}`);
}

/** What a failed fetch means: undici says "fetch failed" and keeps the reason in its cause. */
function fetchFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "no such host",
    EAI_AGAIN: "the host name does not resolve (yet)",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ECONNRESET: "connection reset by the peer",
  };
  if (cause?.code && words[cause.code]) return words[cause.code] as string;
  return cause?.message ? `${errorMessage(err)}: ${cause.message}` : errorMessage(err);
}
