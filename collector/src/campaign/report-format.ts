// Number and time formatting for the report (text only; marks carry the exact numbers in data-value).
import { fmtCount, fmtUs } from "../model/format.ts";
import type { ThroughputStats } from "./report-types.ts";

export { fmtCount, fmtUs };

/** x when it is a finite number, else null. */
export function fin(x: number | null | undefined): number | null {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

/** Decimals fmtGbit uses for x: about 3 significant digits. */
function gbitDecimals(x: number): number {
  const a = Math.abs(x);
  if (a >= 100) return 0;
  if (a >= 10) return 1;
  if (a >= 1 || a === 0) return 2;
  return Math.min(6, 1 - Math.floor(Math.log10(a)));
}

/** Gbit/s with about 3 significant digits: 41.03 -> "41.0", 7 -> "7.00", 0.752 -> "0.75". */
export function fmtGbit(x: number): string {
  return Number.isFinite(x) ? x.toFixed(gbitDecimals(x)) : "n/a";
}

/** A spread (half-width, difference) at the precision of the value it belongs to: (0.34, 41) -> "0.3". */
function fmtSpread(spread: number, of: number): string {
  const s = spread.toFixed(gbitDecimals(of));
  return Number(s) === 0 && spread !== 0 ? String(Number(spread.toPrecision(1))) : s;
}

/** A signed whole percentage: 0 -> "+0 %", -82.9 -> "-83 %". */
export function fmtDeltaPct(pct: number): string {
  const r = Math.round(pct);
  return `${r >= 0 ? "+" : "-"}${Math.abs(r)} %`;
}

/** A whole percentage: 61.01 -> "61 %". */
export function fmtPct(pct: number): string {
  return `${Math.round(pct)} %`;
}

/** Nanoseconds since the epoch as ISO 8601 UTC (millisecond precision). */
export function fmtTimeNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ns) : d.toISOString();
}

/** A duration between two epoch-nanosecond instants: "12.5 s", "3 min 20 s", "1 h 02 min". */
export function fmtDurationNs(fromNs: bigint, toNs: bigint): string {
  const s = Number(toNs - fromNs) / 1e9;
  if (!Number.isFinite(s) || s < 0) return "n/a";
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** The confidence interval when both ends are finite, else null (n = 1, or not computed). */
export function interval(t: ThroughputStats): { low: number; high: number } | null {
  const low = fin(t.ciLowGbitS);
  const high = fin(t.ciHighGbitS);
  return low === null || high === null ? null : { low, high };
}

/** "41.0 ± 0.8" for a symmetric interval, "41.0 (40.1-41.9)" otherwise, "41.0 (no CI)" without one. */
export function fmtMeanCi(t: ThroughputStats): string {
  const mean = fmtGbit(t.meanGbitS);
  const ci = interval(t);
  if (ci === null) return `${mean} (no CI)`;
  const below = t.meanGbitS - ci.low;
  const above = ci.high - t.meanGbitS;
  const a = fmtSpread(above, t.meanGbitS);
  if (fmtSpread(below, t.meanGbitS) === a) return `${mean} ± ${a}`;
  return `${mean} (${fmtGbit(ci.low)}–${fmtGbit(ci.high)})`;
}

/** A manifest value as text: strings as is, booleans on/off, bigint in decimal, arrays and mappings as readable lists. */
export function manifestText(v: unknown, depth = 0): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "bigint" || typeof v === "number") return v.toString();
  if (v === undefined || v === null) return "not recorded";
  if (depth > 3) return "…";
  if (Array.isArray(v)) return v.map((x) => manifestText(x, depth + 1)).join(", ");
  if (typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${manifestText(x, depth + 1)}`);
    return parts.length === 0 ? "none" : parts.join(depth === 0 ? "; " : ", ");
  }
  return String(v);
}
