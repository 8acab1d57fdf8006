// GET /api/v1/series' body, written from the columnar answer (store/columns.ts): the same text as stringifyExact of
// { query, series } with the series as rows (bigints as exact numbers, non-finite numbers as null), without making
// the rows first. A day of one series at 1 Hz is 1.8 M values; JSON.stringify with a replacer calls it for each.
import type { FieldValue } from "@eastwest/common";
import type { Column, ColumnSeries } from "../store/columns.ts";
import { stringifyExact } from "../store/json.ts";
import type { SeriesQuery } from "../store/types.ts";

export function seriesJson(query: SeriesQuery, series: readonly ColumnSeries[]): string {
  const parts: string[] = [];
  for (const s of series) parts.push(seriesText(s));
  return `{"query":${stringifyExact(query)},"series":[${parts.join(",")}]}\n`;
}

function seriesText(s: ColumnSeries): string {
  const n = s.times.length;
  const width = s.columns.length;
  const rows: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let row = "[" + (s.times[i] as bigint).toString();
    for (let k = 0; k < width; k++) row += "," + cellText(s.columns[k] as Column, i);
    rows[i] = row + "]";
  }
  const head = `{"measurement":${JSON.stringify(s.measurement)},"tags":${JSON.stringify(s.tags)},"columns":${JSON.stringify(["time_ns", ...s.fields])}`;
  return `${head},"values":[${rows.join(",")}],"truncated":${s.truncated}}`;
}

function cellText(c: Column, i: number): string {
  if (c.kind !== "any") return c.nulls !== undefined && c.nulls[i] === 1 ? "null" : numberText(c.values[i] as number);
  return valueText(c.values[i] as FieldValue | null);
}

function valueText(v: FieldValue | null): string {
  if (v === null) return "null";
  if (typeof v === "number") return numberText(v);
  if (typeof v === "bigint") return v.toString();
  return JSON.stringify(v);
}

/** As JSON.stringify writes a number: non-finite ones as null. */
function numberText(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}
