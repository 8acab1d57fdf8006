// What every command handler gets, and the types that tie a handler to its Command oneof case.
import type { Logger } from "@eastwest/common";
import type { Calibration, Command } from "@eastwest/proto";
import type { Exec } from "../runtime/exec.ts";
import type { HostFs } from "../runtime/hostfs.ts";
import type { Scheduler } from "../runtime/scheduler.ts";
import type { RunTool } from "./iperf3/iperf3.run.ts";
import type { CommandPolicy, RefusalLog } from "./policy.ts";

export interface CommandDeps {
  /** What this agent's config allows (policy.ts); checked before any handler runs. */
  policy: CommandPolicy;
  /** Counts refusals and logs the first of each kind; default: one log for the process. */
  refusals?: RefusalLog;
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

/** The Command oneof: `$case` (the kind) and `value` (that kind's message). */
export type CommandCase = NonNullable<Command["kind"]>;
export type CommandKind = CommandCase["$case"];
/** The message of command kind K (e.g. Iperf3Server for "iperf3Server"). */
export type CommandValue<K extends CommandKind> = Extract<CommandCase, { $case: K }>["value"];

/**
 * Runs one command of kind K; its resolved value is the result document (JSON), a throw is the command's error.
 * `signal` aborts when the command's deadline (deadline_ms, default 600 s) passes, a `cancel` names it, or
 * deps.signal aborts.
 */
export type Handler<K extends CommandKind> = (value: CommandValue<K>, deps: CommandDeps, signal: AbortSignal) => Promise<unknown>;
