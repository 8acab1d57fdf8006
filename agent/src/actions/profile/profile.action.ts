// collectProfile: a system-wide CPU profile (perf record -e cpu-clock -a) for a run's window, summed on this
// agent into samples per cost term per process (host/perf.profile.collect.ts). Result: the ProfileSummary
// document ({available: true, terms, processes, ...} or {available: false, reason}).
import type { CollectProfile } from "@eastwest/proto";
import { collectProfile } from "../../host/perf.profile.collect.ts";
import type { ProfileResult } from "../../host/perf.profile.summary.ts";
import type { Exec } from "../../runtime/exec.ts";

export const MAX_DURATION_MS = 600_000;
/** Used when the command gives 0: the rate runs use (collector run/profile-run.ts PROFILE_HZ). */
export const DEFAULT_FREQUENCY_HZ = 49;
export const MAX_FREQUENCY_HZ = 4999;

export async function profileAction(cmd: CollectProfile, exec: Exec, signal: AbortSignal): Promise<ProfileResult> {
  if (cmd.durationMs < 100 || cmd.durationMs > MAX_DURATION_MS) throw new RangeError(`duration_ms ${cmd.durationMs} outside 100..${MAX_DURATION_MS}`);
  if (cmd.frequencyHz > MAX_FREQUENCY_HZ) throw new RangeError(`frequency_hz ${cmd.frequencyHz} above ${MAX_FREQUENCY_HZ}`);
  const frequencyHz = cmd.frequencyHz === 0 ? DEFAULT_FREQUENCY_HZ : cmd.frequencyHz;
  return collectProfile({ exec, durationMs: cmd.durationMs, frequencyHz, callGraph: cmd.callGraph, signal });
}
