// Samples as InfluxDB line protocol. Pure.
//
//   measurement[,tag=value...] field=value[,field=value...] timestamp
//
// Escaping: measurement names escape ',' and ' '; tag keys, tag values and
// field keys escape ',', '=' and ' '; string field values are double-quoted
// with '"' and '\' escaped. Every other byte is written as is (UTF-8).
//
// Values that no InfluxDB version reads back exactly are refused with a reason
// rather than written differently:
// - a line break in a name or tag value (line protocol has no escape for it),
//   and in a string field (VictoriaMetrics splits lines before quotes);
// - in a name or tag value, a backslash that ends it or precedes ',', '=', ' '
//   or another backslash (1.x keeps "\\" as two characters, 2.x as one, and
//   "\," would become an escaped comma);
// - a measurement starting with '#' (a comment line); empty names;
// - a non-finite float; an integer outside int64 — or, for a field the schema
//   declares uint, outside uint64 when `uint` is "unsigned" (written with the
//   'u' suffix: InfluxDB 2.x/3.x and VictoriaMetrics read it; 1.x does not).
// Tags with an empty value are left out: InfluxDB treats a missing tag as ''.
// Types: number -> float (no suffix), bigint -> integer ('i', or 'u' as above),
// boolean -> true/false, string -> quoted. Timestamps are epoch ns converted to
// `precision` by floor division.
import { measurement, type FieldType, type FieldValue, type Sample } from "@eastwest/common";
import { INT64_MAX, INT64_MIN, UINT64_MAX } from "../codec.ts";

export type Precision = "ns" | "us" | "ms" | "s";

/** How schema-declared uint fields are written: "integer" ('i', up to 2^63-1) or "unsigned" ('u', up to 2^64-1). */
export type UintMode = "integer" | "unsigned";

export interface LineOptions {
  precision: Precision;
  uint: UintMode;
}

export type Line = { ok: true; line: string } | { ok: false; reason: string };

const DIVISOR: Record<Precision, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/** A name or tag value needs work (escaping or a check) only when it holds one of these. */
const SPECIAL_KEY = /[,= \\\n\r]/;
const SPECIAL_MEASUREMENT = /[, \\\n\r]/;
const BAD_BACKSLASH = /\\(?=[,= \\]|$)/;
const LINE_BREAK = /[\n\r]/;

/** Epoch ns -> the integer timestamp of `precision` (floor division). */
export function timestampAt(timeNs: bigint, precision: Precision): bigint {
  const d = DIVISOR[precision];
  const q = timeNs / d;
  return timeNs < 0n && q * d !== timeNs ? q - 1n : q;
}

/** Escapes a measurement name; undefined when it cannot be written exactly. */
export function escapeMeasurement(name: string): string | undefined {
  if (name === "" || name.startsWith("#")) return undefined;
  if (!SPECIAL_MEASUREMENT.test(name)) return name;
  if (LINE_BREAK.test(name) || BAD_BACKSLASH.test(name)) return undefined;
  return name.replace(/[, ]/g, "\\$&");
}

/** Escapes a tag key, tag value or field key; undefined when it cannot be written exactly. */
export function escapeKey(text: string): string | undefined {
  if (!SPECIAL_KEY.test(text)) return text;
  if (LINE_BREAK.test(text) || BAD_BACKSLASH.test(text)) return undefined;
  return text.replace(/[,= ]/g, "\\$&");
}

/** A string field value, quoted; undefined when it holds a line break. */
export function quoteString(value: string): string | undefined {
  if (LINE_BREAK.test(value)) return undefined;
  return '"' + value.replace(/["\\]/g, "\\$&") + '"';
}

/** One field value as line protocol, or a reason it cannot be written. */
export function fieldValue(value: FieldValue, declared: FieldType | undefined, uint: UintMode): { text: string } | { reason: string } {
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) return { reason: `float ${value} is not finite` };
      return { text: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      if (declared === "uint" && uint === "unsigned") {
        return value >= 0n && value <= UINT64_MAX ? { text: `${value}u` } : { reason: `integer ${value} is outside uint64` };
      }
      if (value >= INT64_MIN && value <= INT64_MAX) return { text: `${value}i` };
      return { reason: `integer ${value} is outside int64${declared === "uint" ? " (uint fields above 2^63-1 need store.influx.uintFields: unsigned)" : ""}` };
    case "boolean":
      return { text: value ? "true" : "false" };
    case "string": {
      const q = quoteString(value);
      return q === undefined ? { reason: "string holds a line break" } : { text: q };
    }
    default:
      return { reason: `${typeof value} is not a field type` };
  }
}

/** One sample as one line (no trailing newline). Field types come from the schema module where it knows the measurement. */
export function toLine(s: Sample, o: LineOptions): Line {
  const m = escapeMeasurement(s.measurement);
  if (m === undefined) return { ok: false, reason: `measurement ${JSON.stringify(s.measurement)} cannot be written as line protocol` };
  const tags = tagSection(s.tags);
  if (typeof tags !== "string") return { ok: false, reason: tags.reason };
  const fields = fieldSection(s.fields, measurement(s.measurement)?.fields, o.uint);
  if (typeof fields !== "string") return { ok: false, reason: fields.reason };
  if (typeof s.timeNs !== "bigint") return { ok: false, reason: "time_ns is not an integer" };
  return { ok: true, line: `${m}${tags} ${fields} ${timestampAt(s.timeNs, o.precision)}` };
}

/** ",k=v..." sorted by key (InfluxDB's own order), empty values left out. */
function tagSection(tags: Record<string, string>): string | { reason: string } {
  let out = "";
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value === undefined || value === "") continue;
    const k = escapeKey(key);
    const v = escapeKey(value);
    if (k === undefined || key === "") return { reason: `tag key ${JSON.stringify(key)} cannot be written as line protocol` };
    if (v === undefined) return { reason: `tag ${key}: value ${JSON.stringify(value)} cannot be written as line protocol` };
    out += `,${k}=${v}`;
  }
  return out;
}

function fieldSection(fields: Record<string, FieldValue>, declared: Readonly<Record<string, FieldType>> | undefined, uint: UintMode): string | { reason: string } {
  let out = "";
  for (const name in fields) {
    const k = escapeKey(name);
    if (k === undefined || name === "") return { reason: `field key ${JSON.stringify(name)} cannot be written as line protocol` };
    const v = fieldValue(fields[name] as FieldValue, declared?.[name], uint);
    if ("reason" in v) return { reason: `field ${name}: ${v.reason}` };
    out += (out === "" ? "" : ",") + `${k}=${v.text}`;
  }
  return out === "" ? { reason: "a point needs at least one field" } : out;
}
