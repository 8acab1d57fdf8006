// Collector -> agent commands. Each command kind maps to one typed action, registered by its folder (index.ts);
// unknown kinds are refused, and so is every command this agent's config does not allow (policy.ts), before
// its handler runs. Nothing here ever builds a shell string.
import { errorMessage, nowNs, toJson } from "@eastwest/common";
import type { Command, CommandResult } from "@eastwest/proto";
import { refusalOf, RefusalLog } from "./policy.ts";
import { handlerFor, on } from "./registry.ts";
import type { CommandDeps } from "./types.ts";
import "./index.ts";

export type { CommandDeps } from "./types.ts";

/** Commands in progress by id; `cancel` aborts their signal. Ids are unique per collector session. */
const running = new Map<string, AbortController>();
/** Refusals of CommandDeps without a log of their own. */
const processRefusals = new RefusalLog();

on("cancel", async ({ commandId }) => {
  const target = running.get(commandId);
  target?.abort();
  return { commandId, cancelled: target !== undefined };
});

/** Runs `cmd` under its deadline; every outcome (unknown kind, failure, result) is a CommandResult. */
export async function handleCommand(cmd: Command, deps: CommandDeps): Promise<CommandResult> {
  const startedNs = nowNs();
  const kind = cmd.kind?.$case;
  const handler = cmd.kind ? handlerFor(cmd.kind.$case) : undefined;
  if (!cmd.kind || !handler) return { id: cmd.id, ok: false, error: `unsupported command ${kind ?? "(empty)"}`, json: "", startedNs, finishedNs: nowNs() };
  const refused = refusalOf(cmd.kind, deps.policy);
  if (refused) {
    (deps.refusals ?? processRefusals).note(refused, deps.logger, { id: cmd.id.slice(0, 64) });
    return { id: cmd.id, ok: false, error: refused.message, json: "", startedNs, finishedNs: nowNs() };
  }
  const own = new AbortController();
  const deadline = AbortSignal.timeout(cmd.deadlineMs > 0 ? cmd.deadlineMs : 600_000);
  const signal = AbortSignal.any(deps.signal ? [deadline, own.signal, deps.signal] : [deadline, own.signal]);
  const tracked = cmd.id !== "" && !running.has(cmd.id);
  if (tracked) running.set(cmd.id, own);
  try {
    const out = await handler(cmd.kind.value, deps, signal);
    return { id: cmd.id, ok: true, error: "", json: toJson(out ?? null), startedNs, finishedNs: nowNs() };
  } catch (err) {
    deps.logger.warn({ command: kind, id: cmd.id, err: errorMessage(err) }, "command failed");
    return { id: cmd.id, ok: false, error: errorMessage(err), json: "", startedNs, finishedNs: nowNs() };
  } finally {
    if (tracked) running.delete(cmd.id);
  }
}
