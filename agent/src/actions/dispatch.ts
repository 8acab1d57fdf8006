// Collector -> agent commands. Each command kind maps to one typed action;
// unknown kinds are refused. Nothing here ever builds a shell string.
import { errorMessage, nowNs, toJson, type Logger } from "@eastwest/common";
import type { Calibration, Command, CommandResult } from "@eastwest/proto";
import type { Exec } from "../runtime/exec.ts";
import type { HostFs } from "../runtime/hostfs.ts";
import type { Scheduler } from "../runtime/scheduler.ts";
import { iperf3Client, iperf3Server, type Iperf3Deps } from "./iperf3/iperf3.action.ts";
import { realRunTool, type RunTool } from "./iperf3/iperf3.run.ts";
import { watchFlows } from "./watchflows/watchflows.action.ts";
import { applySettings, restoreSettings } from "./settings/settings.action.ts";
import { bumpSettingsGeneration } from "../runtime/generation.ts";

export interface CommandDeps {
  scheduler: Scheduler | undefined;
  logger: Logger;
  exec: Exec;
  /** The agent's /proc and /sys (e.g. the available congestion-control algorithms). */
  fs: HostFs;
  calibrate: () => Promise<Calibration | undefined>;
  /** Runs long-lived tools (iperf3); default: realRunTool. */
  runTool?: RunTool;
  /** Aborts every running command too (e.g. the agent stopping), besides each command's deadline. */
  signal?: AbortSignal;
}

/** `signal` aborts when the command's deadline (deadline_ms, default 600 s) passes, a `cancel` names it, or deps.signal aborts. */
type Handler = (cmd: Command, deps: CommandDeps, signal: AbortSignal) => Promise<unknown>;

function iperf3Deps(deps: CommandDeps, signal: AbortSignal): Iperf3Deps {
  return { run: deps.runTool ?? realRunTool, fs: deps.fs, logger: deps.logger, signal };
}

/** Commands in progress by id; `cancel` aborts their signal. Ids are unique per collector session. */
const running = new Map<string, AbortController>();

const handlers: Partial<Record<NonNullable<Command["kind"]>["$case"], Handler>> = {
  setInterval: async (cmd, deps) => {
    if (cmd.kind?.$case !== "setInterval") throw new Error("bad command");
    const { sampler, intervalMs, forMs } = cmd.kind.value;
    if (intervalMs < 10 || intervalMs > 3_600_000) throw new Error(`interval_ms ${intervalMs} out of range 10..3600000`);
    const changed = deps.scheduler?.setInterval(sampler, intervalMs, forMs) ?? 0;
    if (changed === 0) throw new Error(`no sampler named ${JSON.stringify(sampler)}`);
    return { changed };
  },
  hold: async (cmd, deps) => {
    if (cmd.kind?.$case !== "hold") throw new Error("bad command");
    if (deps.scheduler === undefined) throw new Error("no samplers are running");
    const st = deps.scheduler.hold(cmd.kind.value.forMs);
    return { holding: st.holding, held_ticks: st.heldTicks, held_bytes: st.heldBytes };
  },
  calibrate: async (_cmd, deps) => deps.calibrate(),
  iperf3Server: async (cmd, deps, signal) => {
    if (cmd.kind?.$case !== "iperf3Server") throw new Error("bad command");
    return iperf3Server(cmd.kind.value, iperf3Deps(deps, signal));
  },
  iperf3Client: async (cmd, deps, signal) => {
    if (cmd.kind?.$case !== "iperf3Client") throw new Error("bad command");
    return iperf3Client(cmd.kind.value, iperf3Deps(deps, signal));
  },
  cancel: async (cmd) => {
    if (cmd.kind?.$case !== "cancel") throw new Error("bad command");
    const target = running.get(cmd.kind.value.commandId);
    target?.abort();
    return { commandId: cmd.kind.value.commandId, cancelled: target !== undefined };
  },
  watchFlows: async (cmd, deps) => {
    if (cmd.kind?.$case !== "watchFlows") throw new Error("bad command");
    return watchFlows(cmd.kind.value, deps.scheduler);
  },
  applySettings: async (cmd, deps, signal) => {
    if (cmd.kind?.$case !== "applySettings") throw new Error("bad command");
    // why: samplers caching host state (netstate) must re-read it, also after a failed (rolled back) apply.
    try {
      return await applySettings(cmd.kind.value, { exec: deps.exec, fs: deps.fs, logger: deps.logger, signal });
    } finally {
      bumpSettingsGeneration();
    }
  },
  // why: no signal: a restore runs to the end even past its deadline; a half-done restore is worse than a late one.
  restoreSettings: async (cmd, deps) => {
    if (cmd.kind?.$case !== "restoreSettings") throw new Error("bad command");
    try {
      return await restoreSettings(cmd.kind.value, { exec: deps.exec, fs: deps.fs, logger: deps.logger });
    } finally {
      bumpSettingsGeneration();
    }
  },
};

export function registerHandler(kind: NonNullable<Command["kind"]>["$case"], handler: Handler): void {
  handlers[kind] = handler;
}

export async function handleCommand(cmd: Command, deps: CommandDeps): Promise<CommandResult> {
  const startedNs = nowNs();
  const kind = cmd.kind?.$case;
  const handler = kind ? handlers[kind] : undefined;
  if (!handler) return { id: cmd.id, ok: false, error: `unsupported command ${kind ?? "(empty)"}`, json: "", startedNs, finishedNs: nowNs() };
  const own = new AbortController();
  const deadline = AbortSignal.timeout(cmd.deadlineMs > 0 ? cmd.deadlineMs : 600_000);
  const signal = AbortSignal.any(deps.signal ? [deadline, own.signal, deps.signal] : [deadline, own.signal]);
  const tracked = cmd.id !== "" && !running.has(cmd.id);
  if (tracked) running.set(cmd.id, own);
  try {
    const out = await handler(cmd, deps, signal);
    return { id: cmd.id, ok: true, error: "", json: toJson(out ?? null), startedNs, finishedNs: nowNs() };
  } catch (err) {
    deps.logger.warn({ command: kind, id: cmd.id, err: errorMessage(err) }, "command failed");
    return { id: cmd.id, ok: false, error: errorMessage(err), json: "", startedNs, finishedNs: nowNs() };
  } finally {
    if (tracked) running.delete(cmd.id);
  }
}
