// A breakdown as a cost_breakdown point (common/src/schema/runs.ts). Pure: the caller supplies the time.
import type { Sample } from "@eastwest/common";
import type { Breakdown } from "./breakdown.ts";
import type { TermName } from "./terms.ts";

/** Tag values identifying the window; "" where one does not apply (vm "" = the host, run_id "" = live). */
export interface BreakdownTags {
  agent_id: string;
  host: string;
  vm: string;
  run_id: string;
}

const FIELD_PREFIX: Readonly<Record<TermName, [count: string, unit: string, total: string]>> = {
  copies: ["copies_per_packet", "copy_unit_us", "copies_us"],
  syscalls: ["syscalls_per_packet", "syscall_unit_us", "syscalls_us"],
  exits: ["exits_per_packet", "exit_unit_us", "exits_us"],
};

/** Null figures (no measured rate, a derived copy cost) are left out: points may omit fields. */
export function breakdownSample(b: Breakdown, tags: BreakdownTags, timeNs: bigint): Sample {
  const fields: Record<string, number> = { model_per_packet_us: b.model_per_packet_us, bytes_per_packet: b.bytes_per_packet };
  const put = (name: string, v: number | null) => {
    if (v !== null) fields[name] = v;
  };
  put("measured_per_packet_us", b.measured_per_packet_us);
  put("measured_packets_per_s", b.measured_packets_per_s);
  put("unexplained_us", b.unexplained_us);
  put("unexplained_pct", b.unexplained_fraction === null ? null : b.unexplained_fraction * 100);
  const sources: Record<string, string> = {};
  for (const t of b.terms) {
    const [count, unit, total] = FIELD_PREFIX[t.term];
    Object.assign(fields, { [count]: t.count, [unit]: t.unit_us, [total]: t.total_us });
    sources[`${t.term}_source`] = t.source;
  }
  for (const [k, v] of Object.entries(b.constants)) put(`const_${k}`, v);
  return {
    measurement: "cost_breakdown",
    tags: { ...tags, model_version: b.model_version, copies_source: "", syscalls_source: "", exits_source: "", ...sources, fit: b.fit },
    fields,
    timeNs,
  };
}
