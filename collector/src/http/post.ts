// POST routes: actions that change something (start a run, hold an agent's samples). The body is JSON
// (at most http.maxBodyBytes, else 413); a bad body answers 400 with every problem. Authentication and the
// media type are checked before (guard.ts).
import type { IncomingMessage } from "node:http";
import { ConfigError, EastwestError, errorMessage } from "@eastwest/common";
import type { Reply } from "./handlers.ts";
import { tooLarge } from "./guard.ts";

export interface ApiActions {
  /** Validates and executes a traffic run; resolves with the stored run record. */
  run?: (body: unknown) => Promise<unknown>;
  /** Validates a campaign spec and starts it in the background; resolves with its id. */
  campaign?: (body: unknown) => Promise<{ id: string }>;
  /** Holds (or releases) a connected agent's samples; resolves with the agent's hold state. */
  hold?: (agentId: string, body: unknown) => Promise<unknown>;
}

async function readJson(req: IncomingMessage, maxBodyBytes: number): Promise<{ ok: true; value: unknown } | { ok: false; reply: Reply }> {
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) return { ok: false, reply: tooLarge(maxBodyBytes) };
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    return { ok: false, reply: { status: 400, body: { error: `body not received: ${errorMessage(err)}` } } };
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") };
  } catch (err) {
    return { ok: false, reply: { status: 400, body: { error: `body is not JSON: ${errorMessage(err)}` } } };
  }
}

const HOLD_PATH = /^\/api\/v1\/agents\/([^/]+)\/hold$/;

/** The POST route at `pathname` with its success status; undefined when there is none. */
function postRoute(pathname: string, actions: ApiActions): { action: ((body: unknown) => Promise<unknown>) | undefined; status: number } | undefined {
  if (pathname === "/api/v1/runs") return { action: actions.run, status: 201 };
  if (pathname === "/api/v1/campaigns") return { action: actions.campaign, status: 202 };
  const hold = HOLD_PATH.exec(pathname);
  if (hold === null) return undefined;
  let agentId: string;
  try {
    agentId = decodeURIComponent(hold[1] as string);
  } catch {
    agentId = hold[1] as string;
  }
  const act = actions.hold;
  return { action: act && ((body) => act(agentId, body)), status: 200 };
}

/** Handles POST /api/v1/runs, /campaigns and /agents/<id>/hold; undefined when the path is not a POST route. */
export async function handlePost(req: IncomingMessage, pathname: string, actions: ApiActions, maxBodyBytes: number): Promise<Reply | undefined> {
  const route = postRoute(pathname, actions);
  if (route === undefined) return undefined;
  const action = route.action;
  if (!action) return { status: 501, body: { error: "this collector does not run traffic" } };
  const body = await readJson(req, maxBodyBytes);
  if (!body.ok) return body.reply;
  try {
    return { status: route.status, body: await action(body.value) };
  } catch (err) {
    if (err instanceof ConfigError) return { status: 400, body: { error: err.message, problems: err.problems } };
    if (err instanceof EastwestError) return { status: 422, body: { error: err.message } };
    throw err;
  }
}
