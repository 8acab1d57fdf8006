// POST routes: actions that change something (start a run). The body is JSON
// (at most 64 KiB); a bad body answers 400 with every problem.
import type { IncomingMessage } from "node:http";
import { ConfigError, EastwestError, errorMessage } from "@eastwest/common";
import type { Reply } from "./handlers.ts";

export interface ApiActions {
  /** Validates and executes a traffic run; resolves with the stored run record. */
  run?: (body: unknown) => Promise<unknown>;
  /** Validates a campaign spec and starts it in the background; resolves with its id. */
  campaign?: (body: unknown) => Promise<{ id: string }>;
}

const MAX_BODY = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return { ok: false, error: `body larger than ${MAX_BODY} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") };
  } catch (err) {
    return { ok: false, error: `body is not JSON: ${errorMessage(err)}` };
  }
}

/** Handles POST /api/v1/runs; undefined when the path is not a POST route. */
export async function handlePost(req: IncomingMessage, pathname: string, actions: ApiActions): Promise<Reply | undefined> {
  const action = pathname === "/api/v1/runs" ? actions.run : pathname === "/api/v1/campaigns" ? actions.campaign : undefined;
  if (pathname !== "/api/v1/runs" && pathname !== "/api/v1/campaigns") return undefined;
  if (!action) return { status: 501, body: { error: "this collector does not run traffic" } };
  const body = await readJson(req);
  if (!body.ok) return { status: 400, body: { error: body.error } };
  try {
    return { status: pathname === "/api/v1/campaigns" ? 202 : 201, body: await action(body.value) };
  } catch (err) {
    if (err instanceof ConfigError) return { status: 400, body: { error: err.message, problems: err.problems } };
    if (err instanceof EastwestError) return { status: 422, body: { error: err.message } };
    throw err;
  }
}
