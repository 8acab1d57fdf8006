// Pure: PMU counts of `perf stat -I` intervals -> pmu fields (counts per interval, IPC, miss ratios).
import type { FieldValue } from "@eastwest/common";
import { sumIntervals, type PerfInterval, type PerfStatus } from "../shared/perf/perf-stat.parse.ts";

/** The generic hardware events counted, in perf's names. */
export const PMU_EVENTS = ["cycles", "instructions", "cache-references", "cache-misses", "branches", "branch-misses"] as const;
export type PmuEvent = (typeof PMU_EVENTS)[number];

const FIELD: Readonly<Record<PmuEvent, string>> = {
  cycles: "cycles_count",
  instructions: "instructions_count",
  "cache-references": "cache_references_count",
  "cache-misses": "cache_misses_count",
  branches: "branches_count",
  "branch-misses": "branch_misses_count",
};

const HYBRID = /^[\w.-]+\/([^/]+)\/[a-zA-Z]*$/;

/**
 * The generic event behind a name as perf prints it: "cycles", "cycles:u" (perf's fallback without kernel
 * access), "cpu_core/cycles/" and "cpu_atom/cycles/" (hybrid CPUs: one line per PMU, summed) -> "cycles".
 */
export function pmuEventKey(name: string): PmuEvent | undefined {
  const inner = HYBRID.exec(name)?.[1] ?? name.replace(/:[a-zA-Z]+$/, "");
  return (PMU_EVENTS as readonly string[]).includes(inner) ? (inner as PmuEvent) : undefined;
}

export interface PmuFields {
  fields: Record<string, FieldValue>;
  /** Events left out of these fields, with why. */
  missing: Map<PmuEvent, PerfStatus>;
}

/**
 * Fields of one point from the intervals completed since the last tick: `<event>_count` (uint, summed; perf's
 * scaled estimate when running_pct < 100), `interval_ns`, `running_pct` (lowest across events), `ipc`,
 * `cache_miss_pct`, `branch_miss_pct`. No fields when `intervals` is empty.
 */
export function pmuFields(intervals: readonly PerfInterval[]): PmuFields {
  const { durationNs, sums, missing } = sumIntervals(intervals, pmuEventKey, (r) => r.value);
  const fields: Record<string, FieldValue> = {};
  if (intervals.length === 0) return { fields, missing: missing as Map<PmuEvent, PerfStatus> };
  const counts = new Map<PmuEvent, bigint>();
  let running: number | null = null;
  for (const [key, s] of sums) {
    counts.set(key as PmuEvent, s.total);
    fields[FIELD[key as PmuEvent]] = s.total;
    if (s.minPctRunning !== null) running = Math.min(running ?? 100, s.minPctRunning);
  }
  if (counts.size > 0) fields["interval_ns"] = durationNs;
  if (running !== null) fields["running_pct"] = running;
  addRatio(fields, "ipc", counts.get("instructions"), counts.get("cycles"), 1);
  addRatio(fields, "cache_miss_pct", counts.get("cache-misses"), counts.get("cache-references"), 100);
  addRatio(fields, "branch_miss_pct", counts.get("branch-misses"), counts.get("branches"), 100);
  return { fields, missing: missing as Map<PmuEvent, PerfStatus> };
}

function addRatio(fields: Record<string, FieldValue>, name: string, num: bigint | undefined, den: bigint | undefined, scale: number): void {
  if (num === undefined || den === undefined || den === 0n) return;
  fields[name] = (Number(num) / Number(den)) * scale;
}
