// POST routes: actions that change something (start a run, hold an agent's samples). The body is JSON
// (at most 64 KiB); a bad body answers 400 with every problem.
import type { IncomingMessage } from "node:http";
import { ConfigError, EastwestError, errorMessage } from "@eastwest/common";
import type { Reply } from "./handlers.ts";

export interface ApiActions {
  /** Validates and executes a traffic run; resolves with the stored run record. */
  run?: (body: unknown) => Promise<unknown>;
  /** Validates a campaign spec and starts it in the background; resolves with its id. */
  campaign?: (body: unknown) => Promise<{ id: string }>;
  /** Holds (or releases) a connected agent's samples; resolves with the agent's hold state. */
  hold?: (agentId: string, body: unknown) => Promise<unknown>;
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
export async function handlePost(req: IncomingMessage, pathname: string, actions: ApiActions): Promise<Reply | undefined> {
  const route = postRoute(pathname, actions);
  if (route === undefined) return undefined;
  const action = route.action;
  if (!action) return { status: 501, body: { error: "this collector does not run traffic" } };
  const body = await readJson(req);
  if (!body.ok) return { status: 400, body: { error: body.error } };
  try {
    return { status: route.status, body: await action(body.value) };
  } catch (err) {
    if (err instanceof ConfigError) return { status: 400, body: { error: err.message, problems: err.problems } };
    if (err instanceof EastwestError) return { status: 422, body: { error: err.message } };
    throw err;
  }
}
