// The three cost terms and the guards that keep NaN and Infinity out of every result.
import type { ModelConstants } from "./constants.ts";

export type TermName = "copies" | "syscalls" | "exits";

/** One row of the cost table: count per packet x unit cost = total, microseconds. */
export interface Term {
  term: TermName;
  count: number;
  unit_us: number;
  total_us: number;
  /** Why a value was replaced (invalid constant, missing source); absent when the row is as given. */
  reason?: string;
}

export type CopyBasis = "copy_us" | "copy_bytes_per_s";

/** Largest magnitude accepted for any input; keeps every product and sum finite. */
const MAX_INPUT = 1e15;

/** x when it is a finite number in [0, 1e15], else undefined. */
export function valid(x: number | null | undefined): number | undefined {
  return typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= MAX_INPUT ? x : undefined;
}

/**
 * The constants as the model used them: a value outside [0, 1e15] (NaN, Infinity, negative) became 0, and
 * the term it feeds names it in its reason. Results carry these, so no NaN or Infinity leaves the model.
 */
export function usedConstants(c: ModelConstants): ModelConstants {
  const z = (x: number) => valid(x) ?? 0;
  return {
    packet_bytes: z(c.packet_bytes),
    copies: z(c.copies),
    copy_us: c.copy_us === null ? null : z(c.copy_us),
    copy_bytes_per_s: z(c.copy_bytes_per_s),
    syscalls: z(c.syscalls),
    syscall_us: z(c.syscall_us),
    exits: z(c.exits),
    exit_us: z(c.exit_us),
  };
}

/** x when finite, else null. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export interface Unit {
  unit_us: number;
  reason?: string;
}

/** Unit cost of one constant, or 0 with the reason when it is not a usable number. */
export function unitOf(name: string, x: number): Unit {
  const v = valid(x);
  return v === undefined ? { unit_us: 0, reason: `${name} ${String(x)} is not a number in [0, 1e15]: term counted as 0` } : { unit_us: v };
}

export function copyBasis(c: ModelConstants): CopyBasis {
  return c.copy_us === null ? "copy_bytes_per_s" : "copy_us";
}

/**
 * Cost of one copy of `bytes`, microseconds. A stated copy_us holds for packet_bytes and scales linearly
 * (the bandwidth it implies); otherwise bytes / copy_bytes_per_s.
 */
export function copyUnit(c: ModelConstants, bytes: number): Unit {
  const size = valid(bytes);
  if (size === undefined) return { unit_us: 0, reason: `bytes per packet ${String(bytes)} is not usable: copy term counted as 0` };
  if (c.copy_us !== null) {
    const stated = unitOf("copy_us", c.copy_us);
    if (stated.reason !== undefined || size === c.packet_bytes) return stated;
    const s = valid(c.packet_bytes);
    if (s === undefined || s === 0) return { unit_us: 0, reason: `packet_bytes ${String(c.packet_bytes)} must be > 0 to scale copy_us` };
    return guard({ unit_us: (stated.unit_us * size) / s });
  }
  const bw = valid(c.copy_bytes_per_s);
  if (bw === undefined || bw === 0) {
    return { unit_us: 0, reason: `copy_bytes_per_s ${String(c.copy_bytes_per_s)} must be in (0, 1e15]: copy term counted as 0` };
  }
  return guard({ unit_us: (size / bw) * 1e6 });
}

function guard(u: Unit): Unit {
  return Number.isFinite(u.unit_us) ? u : { unit_us: 0, reason: "unit cost overflows: term counted as 0" };
}

/** A row from a count and a unit; an unusable count becomes 0, with every reason kept. */
export function makeTerm(term: TermName, count: number, unit: Unit, countReason?: string): Term {
  const reasons = [countReason, unit.reason];
  let n = valid(count);
  if (n === undefined) {
    reasons.push(`count ${String(count)} is not a number in [0, 1e15]: counted as 0`);
    n = 0;
  }
  const total = n * unit.unit_us;
  const row: Term = { term, count: n, unit_us: unit.unit_us, total_us: Number.isFinite(total) ? total : 0 };
  const reason = reasons.filter((r): r is string => r !== undefined).join("; ");
  if (reason !== "") row.reason = reason;
  return row;
}

/** The model's rows for packets of `bytes` bytes, with the model's own counts. */
export function modelTerms(c: ModelConstants, bytes: number = c.packet_bytes): Term[] {
  return [
    makeTerm("copies", c.copies, copyUnit(c, bytes)),
    makeTerm("syscalls", c.syscalls, unitOf("syscall_us", c.syscall_us)),
    makeTerm("exits", c.exits, unitOf("exit_us", c.exit_us)),
  ];
}

/** Sum of totals, in row order (the order every consumer re-adds them in). */
export function sumTotals(terms: readonly Term[]): number {
  let s = 0;
  for (const t of terms) s += t.total_us;
  return s;
}
