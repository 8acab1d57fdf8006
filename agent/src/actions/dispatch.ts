// Collector -> agent commands. Each command kind maps to one typed action;
// unknown kinds are refused. Nothing here ever builds a shell string.
import { errorMessage, nowNs, toJson, type Logger } from "@eastwest/common";
import type { Calibration, Command, CommandResult } from "@eastwest/proto";
import type { Exec } from "../runtime/exec.ts";
import type { Scheduler } from "../runtime/scheduler.ts";

export interface CommandDeps {
  scheduler: Scheduler | undefined;
  logger: Logger;
  exec: Exec;
  calibrate: () => Promise<Calibration | undefined>;
}

type Handler = (cmd: Command, deps: CommandDeps, signal: AbortSignal) => Promise<unknown>;

const handlers: Partial<Record<NonNullable<Command["kind"]>["$case"], Handler>> = {
  setInterval: async (cmd, deps) => {
    if (cmd.kind?.$case !== "setInterval") throw new Error("bad command");
    const { sampler, intervalMs, forMs } = cmd.kind.value;
    if (intervalMs < 10 || intervalMs > 3_600_000) throw new Error(`interval_ms ${intervalMs} out of range 10..3600000`);
    const changed = deps.scheduler?.setInterval(sampler, intervalMs, forMs) ?? 0;
    if (changed === 0) throw new Error(`no sampler named ${JSON.stringify(sampler)}`);
    return { changed };
  },
  calibrate: async (_cmd, deps) => deps.calibrate(),
};

export function registerHandler(kind: NonNullable<Command["kind"]>["$case"], handler: Handler): void {
  handlers[kind] = handler;
}

export async function handleCommand(cmd: Command, deps: CommandDeps): Promise<CommandResult> {
  const startedNs = nowNs();
  const kind = cmd.kind?.$case;
  const handler = kind ? handlers[kind] : undefined;
  if (!handler) return { id: cmd.id, ok: false, error: `unsupported command ${kind ?? "(empty)"}`, json: "", startedNs, finishedNs: nowNs() };
  const signal = AbortSignal.timeout(cmd.deadlineMs > 0 ? cmd.deadlineMs : 600_000);
  try {
    const out = await handler(cmd, deps, signal);
    return { id: cmd.id, ok: true, error: "", json: toJson(out ?? null), startedNs, finishedNs: nowNs() };
  } catch (err) {
    deps.logger.warn({ command: kind, id: cmd.id, err: errorMessage(err) }, "command failed");
    return { id: cmd.id, ok: false, error: errorMessage(err), json: "", startedNs, finishedNs: nowNs() };
  }
}
