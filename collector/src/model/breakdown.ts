// The breakdown of one run: model time per term, from observed counts, against the measured time per
// packet (1 / measured packets/s). The remainder is "unexplained" and is reported with its sign. Pure.
import { MODEL_VERSION, type ModelConstants } from "./constants.ts";
import { cpuPerPacket, extraRows, measuredUs, type ExtraRow, type MeasuredTerms } from "./measured.ts";
import { fmtUs } from "./fmt-us.ts";
import { copyBasis, copyUnit, finiteOrNull, makeTerm, sumTotals, unitOf, usedConstants, valid, type CopyBasis, type Term, type TermName, type Unit } from "./terms.ts";

/**
 * Where a term's count came from: the run's counters, a figure computed from other measurements (see
 * Observed.derived), the model's constant, or nowhere (term is 0).
 */
export type CountSource = "observed" | "derived" | "measured" | "model" | "none";

export interface BreakdownTerm extends Term {
  source: CountSource;
}

/** What a run measured. Every field is optional; missing or unusable ones are named in the result. */
export interface Observed {
  /** Measured packets per second over the run window. */
  packets_per_s?: number;
  /** Measured payload bytes per second; used with bytes_per_packet when packets_per_s is absent. */
  bytes_per_s?: number;
  /** Mean payload bytes per packet (bytes delta / packet delta); default: constants.packet_bytes. */
  bytes_per_packet?: number;
  /** VM exits per packet (exit counter delta / packet delta). */
  exits_per_packet?: number;
  /** Why there is no exit count (e.g. "debugfs locked"); shown when exits_per_packet is absent. */
  exit_source?: string;
  /** System calls per packet. */
  syscalls_per_packet?: number;
  /** Payload copies per packet. */
  copies_per_packet?: number;
  /** Bytes moved by copies per payload byte: the same quantity as copies per packet, from byte counters. */
  bytes_moved_per_payload_byte?: number;
  /** Terms whose count above was computed from other figures rather than counted; their source is "derived". */
  derived?: readonly TermName[];
  /** CPU time per packet per term from a profile; measured copies and syscalls replace their counts. */
  measured?: MeasuredTerms;
}

/**
 * remainder: measured >= model, the difference is unexplained time; over_predicts: the model's terms exceed
 * the measured time; unmeasured: no usable packet rate, so no comparison.
 */
export type Fit = "remainder" | "over_predicts" | "unmeasured";

export interface Breakdown {
  model_version: string;
  constants: ModelConstants;
  copy_basis: CopyBasis;
  /** Packet size the copy term was priced at, bytes. */
  bytes_per_packet: number;
  terms: BreakdownTerm[];
  /** Measured terms the model has no row for (checksum, softirq, stack, ...); empty without a profile. */
  measured_terms: ExtraRow[];
  /** Sum of the terms (rows above, not measured_terms), microseconds per packet. */
  model_per_packet_us: number;
  /**
   * What unexplained_us is taken against: wall_time (1 / packets/s, the model's view), or cpu_time (the
   * profiled ends' CPU time per packet) when a profile measured the terms: then every row, measured_terms too,
   * is subtracted and the remainder is what no term covers.
   */
  unexplained_basis: "wall_time" | "cpu_time";
  /** The profiled ends' CPU time per packet, microseconds; null without a profile. */
  cpu_per_packet_us: number | null;
  measured_packets_per_s: number | null;
  /** 1 / measured_packets_per_s, microseconds. */
  measured_per_packet_us: number | null;
  /** measured - model, microseconds per packet; negative when the model over-predicts. */
  unexplained_us: number | null;
  /** unexplained_us / its basis (measured_per_packet_us, or cpu_per_packet_us). */
  unexplained_fraction: number | null;
  fit: Fit;
  /** Inputs that were absent or unusable and what was done instead. */
  notes: string[];
}

interface Count {
  count: number;
  source: CountSource;
  reason?: string;
}

function observedOr(x: number | undefined, name: string, fallback: Count): Count {
  if (x === undefined) return fallback;
  const v = valid(x);
  if (v !== undefined) return { count: v, source: "observed" };
  return { ...fallback, reason: `${name} ${String(x)} is not usable; ${fallback.reason ?? ""}`.trim() };
}

function exitCount(obs: Observed): Count {
  const none: Count = { count: 0, source: "none", reason: `no exit source: ${obs.exit_source ?? "no VM-exit counter for this run"}` };
  return observedOr(obs.exits_per_packet, "exits_per_packet", none);
}

function syscallCount(obs: Observed, c: ModelConstants): Count {
  const model: Count = { count: c.syscalls, source: "model", reason: `syscalls per packet not observed: model count ${c.syscalls} used` };
  return observedOr(obs.syscalls_per_packet, "syscalls_per_packet", model);
}

function copyCount(obs: Observed, c: ModelConstants): Count {
  const model: Count = { count: c.copies, source: "model", reason: `copies per packet not observed: model count ${c.copies} used` };
  const fromBytes = observedOr(obs.bytes_moved_per_payload_byte, "bytes_moved_per_payload_byte", model);
  return observedOr(obs.copies_per_packet, "copies_per_packet", fromBytes);
}

function row(name: BreakdownTerm["term"], n: Count, unit: Unit, derived: readonly TermName[]): BreakdownTerm {
  const source = n.source === "observed" && derived.includes(name) ? "derived" : n.source;
  return { ...makeTerm(name, n.count, unit, n.reason), source };
}

/** A row whose time a profile measured: count is that time in units (equivalent copies or syscalls). */
function measuredRow(name: "copies" | "syscalls", us: number, unit: Unit, source: string): BreakdownTerm {
  const count = unit.unit_us > 0 ? us / unit.unit_us : 0;
  const t = makeTerm(name, Number.isFinite(count) ? count : 0, unit);
  return { ...t, total_us: us, source: "measured", reason: `measured ${fmtUs(us)} us (${source})${unit.unit_us > 0 ? `, ${fmtUs(t.count)} x the unit cost` : ""}` };
}

/** The copies or syscalls row: measured time when a profile gave it, else the count. */
function termRow(name: "copies" | "syscalls", obs: Observed, count: Count, unit: Unit, derived: readonly TermName[]): BreakdownTerm {
  const us = measuredUs(obs.measured, name);
  return us === undefined ? row(name, count, unit, derived) : measuredRow(name, us, unit, obs.measured?.source ?? "profile");
}

/** Packet size the copy term is priced at: observed, else packet_bytes (0 when that is unusable too). */
function packetBytes(obs: Observed, c: ModelConstants, notes: string[]): number {
  const model = valid(c.packet_bytes) ?? 0;
  if (obs.bytes_per_packet === undefined) return model;
  const v = valid(obs.bytes_per_packet);
  if (v !== undefined && v > 0) return v;
  notes.push(`bytes_per_packet ${String(obs.bytes_per_packet)} is not usable: priced at packet_bytes ${model}`);
  return model;
}

/** Measured packets per second, or null with the reason pushed onto notes. */
function measuredRate(obs: Observed, notes: string[]): number | null {
  if (obs.packets_per_s !== undefined) {
    const pps = valid(obs.packets_per_s);
    if (pps !== undefined && pps > 0) return pps;
    notes.push(`measured packets_per_s ${String(obs.packets_per_s)} is not > 0: no measured time per packet`);
    return null;
  }
  if (obs.bytes_per_s !== undefined) {
    const bps = valid(obs.bytes_per_s);
    const bpp = valid(obs.bytes_per_packet);
    const pps = bps !== undefined && bps > 0 && bpp !== undefined && bpp > 0 ? bps / bpp : Number.NaN;
    if (Number.isFinite(pps)) return pps;
    notes.push(`bytes_per_s ${String(obs.bytes_per_s)} with bytes_per_packet ${String(obs.bytes_per_packet)} gives no packet rate`);
    return null;
  }
  notes.push("no measured packet rate: give packets_per_s, or bytes_per_s with bytes_per_packet");
  return null;
}

/** Model time per term against the measured time per packet; unexplained = measured - sum(terms). */
export function breakdown(constants: ModelConstants, observed: Observed): Breakdown {
  const notes: string[] = [];
  const bytes = packetBytes(observed, constants, notes);
  const derived = observed.derived ?? [];
  const terms = [
    termRow("copies", observed, copyCount(observed, constants), copyUnit(constants, bytes), derived),
    termRow("syscalls", observed, syscallCount(observed, constants), unitOf("syscall_us", constants.syscall_us), derived),
    row("exits", exitCount(observed), unitOf("exit_us", constants.exit_us), derived),
  ];
  const extra = observed.measured === undefined ? [] : extraRows(observed.measured, notes);
  const model = sumTotals(terms);
  const pps = measuredRate(observed, notes);
  const measured = pps === null ? null : finiteOrNull(1e6 / pps);
  if (pps !== null && measured === null) notes.push(`measured packets_per_s ${pps} is too small for a finite time per packet`);
  const cpu = cpuPerPacket(observed.measured);
  const basis = cpu === null ? measured : cpu;
  const unexplained = basis === null ? null : basis - model - extra.reduce((a, r) => a + r.total_us, 0);
  return {
    model_version: MODEL_VERSION,
    constants: usedConstants(constants),
    copy_basis: copyBasis(constants),
    bytes_per_packet: bytes,
    terms,
    measured_terms: extra,
    model_per_packet_us: model,
    unexplained_basis: cpu === null ? "wall_time" : "cpu_time",
    cpu_per_packet_us: cpu,
    measured_packets_per_s: measured === null ? null : pps,
    measured_per_packet_us: measured,
    unexplained_us: unexplained,
    unexplained_fraction: unexplained === null || basis === null ? null : finiteOrNull(unexplained / basis),
    fit: unexplained === null ? "unmeasured" : unexplained < 0 ? "over_predicts" : "remainder",
    notes,
  };
}
