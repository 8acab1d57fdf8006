// collectExitReasons: counts VM exits by reason on this KVM host for a run
// window (perf kvm stat record + report), through kvmexits' collector.
// Result: the ExitReasons document ({available: true, reasons, total, ...} or
// {available: false, reason}).
import type { CollectExitReasons } from "@eastwest/proto";
import { collectExitReasons, type ExitReasons } from "../../host/kvmstat.collect.ts";
import type { Exec } from "../../runtime/exec.ts";

export const MAX_DURATION_MS = 600_000;

export async function exitReasonsAction(cmd: CollectExitReasons, exec: Exec, signal: AbortSignal): Promise<ExitReasons> {
  if (cmd.durationMs < 100 || cmd.durationMs > MAX_DURATION_MS) throw new RangeError(`duration_ms ${cmd.durationMs} outside 100..${MAX_DURATION_MS}`);
  if (cmd.pids.length > 64 || cmd.pids.some((p) => !Number.isInteger(p) || p < 1)) throw new RangeError("pids: at most 64 positive process ids");
  return collectExitReasons({ exec, durationMs: cmd.durationMs, pids: cmd.pids.length > 0 ? cmd.pids : undefined, signal });
}
