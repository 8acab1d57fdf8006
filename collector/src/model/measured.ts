// Terms measured by a CPU profile (perf record -e cpu-clock) instead of counted: microseconds of CPU time per
// packet, summed over the run's profiled ends. With them the breakdown's copies and syscalls rows show the
// measured time instead of count x unit cost, further rows show what the model has no term for, and the
// unexplained share is taken against the CPU time per packet: what no term covers. Pure.
import { finiteOrNull, valid } from "./terms.ts";

/** Profile terms the model has no row of its own for. */
export const EXTRA_TERMS = ["checksum", "softirq", "stack", "scheduler", "vhost_qemu"] as const;
export type ExtraTerm = (typeof EXTRA_TERMS)[number];
export type MeasuredTermName = "copies" | "syscalls" | ExtraTerm;

export interface MeasuredTerms {
  /** Microseconds of CPU time per packet, per term (only the terms the profile saw). */
  us: Partial<Record<MeasuredTermName, number>>;
  /** All CPU time per packet of the profiled ends (their processes' samples), microseconds. */
  cpu_per_packet_us: number;
  /** e.g. "perf cpu-clock". */
  source: string;
}

/** A measured row the model has no term for. */
export interface ExtraRow {
  term: ExtraTerm;
  total_us: number;
  source: "measured";
}

/** The extra rows, in EXTRA_TERMS order; unusable values are left out with a note. */
export function extraRows(m: MeasuredTerms, notes: string[]): ExtraRow[] {
  const out: ExtraRow[] = [];
  for (const term of EXTRA_TERMS) {
    const x = m.us[term];
    if (x === undefined) continue;
    const v = valid(x);
    if (v === undefined) notes.push(`measured ${term} ${String(x)} us is not usable: left out`);
    else out.push({ term, total_us: v, source: "measured" });
  }
  return out;
}

/** Measured us of a term the model has a row for, when usable. */
export function measuredUs(m: MeasuredTerms | undefined, term: "copies" | "syscalls"): number | undefined {
  return m === undefined ? undefined : valid(m.us[term]);
}

/** CPU time per packet when usable and > 0. */
export function cpuPerPacket(m: MeasuredTerms | undefined): number | null {
  const v = m === undefined ? undefined : valid(m.cpu_per_packet_us);
  return v === undefined || v === 0 ? null : finiteOrNull(v);
}
