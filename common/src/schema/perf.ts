// Measurements of the perf-based samplers (agent/src/samplers/pmu, kvmexits, membw). Each sampler's README documents its fields.
import type { FieldType, MeasurementDef } from "./types.ts";

/** Tags every agent point carries (SampleContext.baseTags). */
const BASE = ["agent_id", "host", "netns"] as const;

function typed(type: FieldType, names: readonly string[]): Record<string, FieldType> {
  return Object.fromEntries(names.map((n) => [n, type]));
}

export const PERF_MEASUREMENTS: Record<string, MeasurementDef> = {
  pmu: {
    doc: "Hardware counters over the perf stat -I intervals completed since the previous tick, system-wide (scope=\"host\", vm=\"\") or per QEMU process (scope=\"vm\", vm=guest name). Counts are perf's estimates, scaled when running_pct < 100 (multiplexed).",
    tags: [...BASE, "scope", "vm"],
    fields: {
      ...typed("uint", [
        "cycles_count", "instructions_count", "cache_references_count", "cache_misses_count", "branches_count",
        "branch_misses_count", "interval_ns",
      ]),
      ...typed("float", ["ipc", "cache_miss_pct", "branch_miss_pct", "running_pct"]),
    },
  },
  kvm_exits: {
    doc: "VM exits of every guest on the host (tracepoint kvm:kvm_exit counted by perf stat -I) over the intervals completed since the previous tick; exits_total is the running sum since the agent started counting.",
    tags: [...BASE],
    fields: {
      ...typed("uint", ["exits", "exits_total", "interval_ns"]),
      exits_per_s: "float",
    },
  },
  membw: {
    doc: "Memory bandwidth. source=\"imc\" (group=\"\"): CAS reads/writes of all memory controllers (perf uncore_imc), bytes over the intervals since the previous tick. source=\"resctrl\": MBM byte counters of one monitoring group (group=\"\" for the root group) summed over L3 domains, with rates, and LLC occupancy now.",
    tags: [...BASE, "source", "group"],
    fields: {
      ...typed("uint", ["read_bytes", "write_bytes", "interval_ns", "total_bytes_total", "local_bytes_total", "llc_occupancy_bytes"]),
      ...typed("float", ["read_bytes_per_s", "write_bytes_per_s", "total_bytes_per_s", "local_bytes_per_s"]),
    },
  },
};
