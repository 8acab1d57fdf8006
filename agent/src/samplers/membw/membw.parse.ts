// Pure: memory-bandwidth values from perf uncore IMC intervals and from resctrl MBM files.
import { ParseError, type FieldValue } from "@eastwest/common";
import { sumIntervals, type PerfInterval, type PerfStatRecord } from "../shared/perf/perf-stat.parse.ts";
import { excerpt } from "../../host/text.ts";

/** One CAS command moves one 64-byte cache line (Intel uncore performance monitoring guides, IMC chapter). */
export const CAS_BYTES = 64;

export const IMC_EVENTS = ["uncore_imc/cas_count_read/", "uncore_imc/cas_count_write/"] as const;

const UNITS: Readonly<Record<string, number>> = {
  B: 1, Bytes: 1, bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9,
};

/** Bytes in one printed unit ("MiB" -> 1048576), undefined for a unit that is not a byte unit. */
export function unitBytes(unit: string): number | undefined {
  return UNITS[unit.trim()];
}

/** The sysfs event's `.scale` file ("6.103515625e-5"), undefined when it is not a positive number. */
export function parseScale(text: string): number | undefined {
  const v = Number(text.trim());
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

export interface ImcScale {
  /** From /sys/bus/event_source/devices/uncore_imc_N/events/cas_count_read.scale and .unit, when present. */
  sysScale?: number;
  sysUnit?: string;
}

/**
 * Bytes per value perf printed for a CAS event. perf applies the sysfs scale and prints its unit (e.g. "MiB",
 * value with 2 decimals): then bytes = value x unit. Without a unit column the value is a raw count: the sysfs
 * scale x unit when both exist, else one 64-byte line per count. undefined for a unit that is not bytes.
 */
export function imcBytesPerValue(csvUnit: string, s: ImcScale): number | undefined {
  if (csvUnit !== "") return unitBytes(csvUnit);
  if (s.sysScale !== undefined && s.sysUnit !== undefined) {
    const unit = unitBytes(s.sysUnit);
    return unit === undefined ? undefined : s.sysScale * unit;
  }
  return CAS_BYTES;
}

function imcKey(event: string): "read" | "write" | undefined {
  if (event.includes("cas_count_read")) return "read";
  if (event.includes("cas_count_write")) return "write";
  return undefined;
}

function recordBytes(r: PerfStatRecord, s: ImcScale): bigint | null {
  const per = imcBytesPerValue(r.unit, s);
  if (per === undefined || r.amount === null) return null;
  return BigInt(Math.round(r.amount * per));
}

/**
 * membw fields (source "imc") from the intervals since the last tick: read_bytes, write_bytes (summed over all
 * IMC channels, as perf merges uncore_imc_N), their per-second rates, total_bytes_per_s and interval_ns.
 */
export function imcFields(intervals: readonly PerfInterval[], s: ImcScale): { fields: Record<string, FieldValue>; missing: string[] } {
  const { durationNs, sums, missing } = sumIntervals(intervals, imcKey, (r) => recordBytes(r, s));
  const fields: Record<string, FieldValue> = {};
  const seconds = Number(durationNs) / 1e9;
  const read = sums.get("read")?.total;
  const write = sums.get("write")?.total;
  if (seconds <= 0 || (read === undefined && write === undefined)) return { fields, missing: [...missing.keys()] };
  if (read !== undefined) Object.assign(fields, { read_bytes: read, read_bytes_per_s: Number(read) / seconds });
  if (write !== undefined) Object.assign(fields, { write_bytes: write, write_bytes_per_s: Number(write) / seconds });
  if (read !== undefined && write !== undefined) fields["total_bytes_per_s"] = Number(read + write) / seconds;
  fields["interval_ns"] = durationNs;
  return { fields, missing: [...missing.keys()] };
}

/** A resctrl monitoring file's content: a byte count, or the kernel's "Unavailable" / "Error". */
export type MbmValue = bigint | "Unavailable" | "Error";

/**
 * mbm_total_bytes, mbm_local_bytes, llc_occupancy (Documentation/arch/x86/resctrl.rst): a decimal byte count;
 * "Unavailable" when the RMID's counter cannot be read (e.g. just after the group was made), "Error" when the
 * hardware reports one. Anything else is a ParseError.
 */
export function parseMbmValue(text: string, source: string): MbmValue {
  const t = text.trim();
  if (/^\d+$/.test(t)) return BigInt(t);
  if (t === "Unavailable" || t === "Error") return t;
  throw new ParseError(source, `expected a byte count, "Unavailable" or "Error", got ${excerpt(t)}`);
}
