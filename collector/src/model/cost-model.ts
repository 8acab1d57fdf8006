// The East/West cost model: the per-packet ceiling from constants. Pure: no I/O, no clock.
// Every result carries MODEL_VERSION and the constants it was computed with.
import { MODEL_VERSION, type ModelConstants } from "./constants.ts";
import { copyBasis, finiteOrNull, modelTerms, sumTotals, usedConstants, valid, type CopyBasis, type Term } from "./terms.ts";

export { MODEL_VERSION, PAPER_CONSTANTS, CONSTANT_KEYS, resolveConstants } from "./constants.ts";
export type { ModelConstants, ModelLayer } from "./constants.ts";
export { modelTerms } from "./terms.ts";
export type { Term, TermName, CopyBasis } from "./terms.ts";
export { breakdown } from "./breakdown.ts";
export type { Breakdown, BreakdownTerm, Observed, CountSource } from "./breakdown.ts";

export interface Ceiling {
  model_version: string;
  /** As used: an unusable value shows as 0 (see the term's reason). */
  constants: ModelConstants;
  /** Whether the copy cost is the stated copy_us or derived from copy_bytes_per_s. */
  copy_basis: CopyBasis;
  terms: Term[];
  /** T, microseconds per packet: the sum of the terms. */
  per_packet_us: number;
  /** 1 / T; null when T is 0 (no bound). */
  packets_per_s: number | null;
  /** packets_per_s x packet_bytes x 8 / 1e9; null when unbounded or packet_bytes is unusable. */
  max_gbit_s: number | null;
  /** Why packets_per_s or max_gbit_s is null. */
  reason?: string;
}

/** The throughput ceiling of one stream: per-packet time, packets per second, Gbit/s. */
export function ceiling(constants: ModelConstants): Ceiling {
  const terms = modelTerms(constants);
  const perPacket = sumTotals(terms);
  const out: Ceiling = {
    model_version: MODEL_VERSION,
    constants: usedConstants(constants),
    copy_basis: copyBasis(constants),
    terms,
    per_packet_us: perPacket,
    packets_per_s: null,
    max_gbit_s: null,
  };
  if (perPacket <= 0) {
    out.reason = "per-packet time is 0: the model sets no bound";
    return out;
  }
  out.packets_per_s = finiteOrNull(1e6 / perPacket);
  // why: a packet is at least one byte (the config refuses less); a subnormal size gives a ceiling of ~0 Gbit/s
  // and an efficiency too large to print.
  const bytes = valid(constants.packet_bytes);
  if (out.packets_per_s === null || bytes === undefined || bytes < 1) {
    out.reason = `packet_bytes ${String(constants.packet_bytes)} (must be >= 1) or per-packet time ${perPacket} gives no finite rate`;
    return out;
  }
  out.max_gbit_s = finiteOrNull((out.packets_per_s * bytes * 8) / 1e9);
  return out;
}

/** measured / ceiling as a fraction (0.61 for 41 of 67.2 Gbit/s); null when either is unusable. */
export function efficiency(measuredGbitS: number, c: Pick<Ceiling, "max_gbit_s">): number | null {
  const measured = valid(measuredGbitS);
  if (measured === undefined || c.max_gbit_s === null || !(c.max_gbit_s > 0)) return null;
  return finiteOrNull(measured / c.max_gbit_s);
}
