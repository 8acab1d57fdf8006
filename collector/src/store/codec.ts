// How the embedded store writes a point's tags and fields as text. Pure.
//
// Fields are split in two: the field names in point order (a field set,
// stored once and referred to by id) and a JSON array of the values. Number
// syntax carries the type: a float always has '.', 'e' or 'E' (1 -> 1.0); an
// integer never does and keeps every digit (uint64 and int64 alike). Strings
// and booleans are plain JSON.
// Tags: a canonical key, tags sorted by name, escaped as in InfluxDB line
// protocol (`k=v,k2=v2`), plus a JSON object in the same order.
import type { FieldValue } from "@eastwest/common";
import { parseTyped } from "./json.ts";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

export type Encoded =
  | {
      ok: true;
      /** The field names as a JSON array, in point order: the field set. */
      names: string;
      /** The values as a JSON array, in the same order. */
      values: string;
    }
  | { ok: false; reason: string };

/** Encodes fields; fails on a non-finite float, an integer outside int64/uint64, or a foreign type. */
export function encodeFields(fields: Record<string, FieldValue>): Encoded {
  const values = encodeValues(fields);
  if (!values.ok) return values;
  return { ok: true, names: encodeNames(fields), values: values.values };
}

/** The field set of fields: their names as a JSON array, in point order. */
export function encodeNames(fields: Record<string, FieldValue>): string {
  let names = "";
  for (const name in fields) names += (names === "" ? "" : ",") + quoted(name);
  return "[" + names + "]";
}

/** The values of fields as a JSON array, in point order (the part of encodeFields that changes per point). */
export function encodeValues(fields: Record<string, FieldValue>): { ok: true; values: string } | { ok: false; reason: string } {
  let values = "";
  for (const name in fields) {
    const value = encodeValue(fields[name]);
    if (value === undefined) return { ok: false, reason: `field ${name}: ${describe(fields[name])} cannot be stored` };
    values += (values === "" ? "" : ",") + value;
  }
  if (values === "") return { ok: false, reason: "a point needs at least one field" };
  return { ok: true, values: "[" + values + "]" };
}

/** Inverse of encodeFields. Throws SyntaxError on text it did not write. */
export function decodeFields(names: readonly string[], values: string): Record<string, FieldValue> {
  const vals = parseTyped(values) as FieldValue[];
  const out: Record<string, FieldValue> = {};
  for (let i = 0; i < names.length; i++) setField(out, names[i] as string, vals[i] as FieldValue);
  return out;
}

/** fields[name] = value, also for a field named "__proto__". */
export function setField(fields: Record<string, FieldValue>, name: string, value: FieldValue): void {
  // why: plain assignment of "__proto__" would set the prototype, not a field.
  if (name === "__proto__") Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  else fields[name] = value;
}

/**
 * The text a list of column names is stored as (a field set). A rollup's columns (rollup.ts: `n`, `t_last`, then per
 * field `<f>|last` and, for a numeric one, `<f>|min`, `<f>|max`, `<f>|sum`) are written as their fields,
 * `{"rollup":[f...],"last_only":[i...]}` when that is shorter; any other list as a JSON array. why: spelled out, a rollup's names repeat
 * each field four times, and they are stored twice (the table and its unique index): in an hour's file they were
 * about a tenth of its bytes.
 */
export function encodeNameList(names: readonly string[]): string {
  const spelled = JSON.stringify(names);
  const rollup = rollupFields(names);
  if (rollup === undefined) return spelled;
  const lastOnly = rollup.flatMap((f, i) => (f.numeric ? [] : [i]));
  const compact = JSON.stringify(lastOnly.length === 0 ? { rollup: rollup.map((f) => f.name) } : { rollup: rollup.map((f) => f.name), last_only: lastOnly });
  // why: the shorter of the two (a rollup of one text field is shorter spelled out); either reads back the same
  return compact.length < spelled.length ? compact : spelled;
}

/** A rollup's fields when `names` are a rollup's columns, else undefined. */
function rollupFields(names: readonly string[]): Array<{ name: string; numeric: boolean }> | undefined {
  if (names.length < 2 || names[0] !== "n" || names[1] !== "t_last") return undefined;
  const out: Array<{ name: string; numeric: boolean }> = [];
  let i = 2;
  while (i < names.length) {
    const last = names[i] as string;
    if (!last.endsWith("|last")) return undefined;
    const f = last.slice(0, -"|last".length);
    const numeric = names[i + 1] === `${f}|min` && names[i + 2] === `${f}|max` && names[i + 3] === `${f}|sum`;
    out.push({ name: f, numeric });
    i += numeric ? 4 : 1;
  }
  return out;
}

/** A rollup's columns from its fields, those at `lastOnly` with `|last` alone (rollup.ts; the inverse of rollupFields). */
export function rollupColumns(fields: readonly string[], lastOnly: ReadonlySet<number>): string[] {
  const out = ["n", "t_last"];
  fields.forEach((f, i) => out.push(...(lastOnly.has(i) ? [`${f}|last`] : [`${f}|last`, `${f}|min`, `${f}|max`, `${f}|sum`])));
  return out;
}

/** Reads a field set written by encodeFields or encodeNameList. Throws on text neither wrote. */
export function decodeNames(names: string): string[] {
  const parsed = JSON.parse(names) as unknown;
  if (Array.isArray(parsed)) return parsed as string[];
  const r = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { rollup?: unknown; last_only?: unknown };
  const lastOnly = r.last_only ?? [];
  if (!Array.isArray(r.rollup) || !r.rollup.every((f) => typeof f === "string") || !Array.isArray(lastOnly) || !lastOnly.every((i) => Number.isInteger(i))) {
    throw new SyntaxError(`not a field set: ${names.slice(0, 80)}`);
  }
  return rollupColumns(r.rollup as string[], new Set(lastOnly as number[]));
}

/** JSON string literals of field names; names come from a bounded schema, the cap guards the rest. */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 4096;

function quoted(name: string): string {
  let q = QUOTED.get(name);
  if (q === undefined) {
    q = JSON.stringify(name);
    if (QUOTED.size < QUOTED_MAX) QUOTED.set(name, q);
  }
  return q;
}

export function encodeValue(v: unknown): string | undefined {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? floatText(v) : undefined;
    case "bigint":
      return v >= INT64_MIN && v <= UINT64_MAX ? v.toString() : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return JSON.stringify(v);
    default:
      return undefined;
  }
}

function floatText(v: number): string {
  if (Object.is(v, -0)) return "-0.0";
  const s = String(v);
  return /[.eE]/.test(s) ? s : s + ".0";
}

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "bigint") return `integer ${v}`;
  return `a value of type ${v === null ? "null" : typeof v}`;
}

/**
 * The canonical key of a tag set: `k=v,k2=v2`, sorted by name, escaped as in
 * line protocol (plus backslash, so the key is unambiguous); "" for no tags.
 * Equal sets give equal keys whatever their insertion order.
 */
export function tagKey(tags: Record<string, string>): string {
  const names = Object.keys(tags);
  if (!isSorted(names)) names.sort();
  let key = "";
  for (const name of names) key += (key === "" ? "" : ",") + escapeTag(name) + "=" + escapeTag(tags[name] ?? "");
  return key;
}

/** The tag set as a JSON object with names sorted. */
export function sortedTagsJson(tags: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(tags).sort()) sorted[name] = tags[name] ?? "";
  return JSON.stringify(sorted);
}

function isSorted(names: string[]): boolean {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) > (names[i] as string)) return false;
  return true;
}

const ESCAPE_RE = /[,= \\]/;
const ESCAPE_ALL_RE = /[,= \\]/g;

function escapeTag(s: string): string {
  return ESCAPE_RE.test(s) ? s.replace(ESCAPE_ALL_RE, (c) => "\\" + c) : s;
}

/** True when every filter tag is present in tags with the same value. */
export function tagsMatch(tags: Record<string, string>, filter: Record<string, string> | undefined): boolean {
  if (filter === undefined) return true;
  for (const name in filter) if (tags[name] !== filter[name]) return false;
  return true;
}
