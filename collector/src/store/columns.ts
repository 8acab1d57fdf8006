// The columnar answer of a series query: per series its times and one column per field, where the row answer
// (types.ts Series) holds one array per point. A 24 h series at 1 Hz with 20 fields is 1.8 M values; as rows
// each integer is a BigInt and each float a boxed number, made one by one and collected after, which costs more
// than reading the chunks. Columns of numbers are Float64Arrays: a chunk's decoded column is copied in one call.
import type { FieldValue } from "@eastwest/common";
import type { Column, ColumnSeries, Series, TypedColumn } from "./types.ts";

export type { Column, ColumnSeries, TypedColumn } from "./types.ts";

export function isTyped(c: ArrayLike<FieldValue> | TypedColumn): c is TypedColumn {
  return !Array.isArray(c) && (c as TypedColumn).values instanceof Float64Array;
}

/** Row i of column c, as the row answer holds it. */
export function cell(c: Column, i: number): FieldValue | null {
  if (c.kind === "any") return c.values[i] as FieldValue | null;
  if (c.nulls !== undefined && c.nulls[i] === 1) return null;
  const v = c.values[i] as number;
  return c.kind === "int" ? BigInt(v) : v;
}

/** The row answer of a columnar one. */
export function rowsOf(cs: ColumnSeries): Series {
  const n = cs.times.length;
  const values: Array<Array<bigint | FieldValue | null>> = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Array<bigint | FieldValue | null> = new Array(cs.columns.length + 1);
    row[0] = cs.times[i] as bigint;
    for (let k = 0; k < cs.columns.length; k++) row[k + 1] = cell(cs.columns[k] as Column, i);
    values[i] = row;
  }
  return { measurement: cs.measurement, tags: cs.tags, columns: ["time_ns", ...cs.fields], values, truncated: cs.truncated };
}

/** The columnar answer of a row one (for a store that reads rows: its columns are all "any"). */
export function columnsOf(s: Series): ColumnSeries {
  const n = s.values.length;
  const columns: Column[] = s.columns.slice(1).map((_, k) => {
    const values: Array<FieldValue | null> = new Array(n);
    for (let i = 0; i < n; i++) values[i] = (s.values[i] as Array<FieldValue | null>)[k + 1] as FieldValue | null;
    return { kind: "any", values };
  });
  return { measurement: s.measurement, tags: s.tags, fields: s.columns.slice(1), times: s.values.map((r) => r[0] as bigint), columns, truncated: s.truncated };
}
