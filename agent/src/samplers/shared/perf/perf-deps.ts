// What every perf-based sampler (pmu, kvmexits, membw) takes from its caller, and the bounds of perf's -I interval.
import type { SpawnTool } from "../../../runtime/spawn.ts";

export interface PerfDeps {
  /** Starts the long-lived perf children (tests pass a fake that replays captures). */
  spawn?: SpawnTool;
}

/** perf's `-I` interval option (perfIntervalMs), ms: default and bounds. */
export const PERF_INTERVAL_MS = { default: 1000, min: 100, max: 60_000 } as const;
