// One-minute rollups of a chunk's points (compact.ts writes one per chunk). Pure.
//
// A rollup is itself a chunk (chunk.ts): its times are the epoch-aligned minutes that hold points, and its columns are
// `n` (points in the minute), `t_last` (the time of the minute's last point), then per field `<field>|last` and, for a
// numeric field (float or integer), `<field>|min`, `<field>|max` and `<field>|sum` (a float). Means are sum / n, so
// minutes from several rollups (late points packed into a chunk of their own) and head rows combine exactly as their
// points would; counters keep their last value per minute, so an increase is the difference of two minutes' lasts.
import type { FieldValue } from "@eastwest/common";
import { rollupColumns } from "../codec.ts";
import type { FieldMinute, Minute } from "../series-builder.ts";
import type { Chunk } from "./chunk.ts";

export const MINUTE_NS = 60_000_000_000n;

/** Start of the epoch-aligned minute holding t. */
export const minuteOf = (t: bigint): bigint => {
  const rem = t % MINUTE_NS;
  return rem < 0n ? t - rem - MINUTE_NS : t - rem;
};

const numeric = (v: FieldValue): v is number | bigint => typeof v === "number" || typeof v === "bigint";
const less = (a: number | bigint, b: number | bigint): boolean => a < b;

/** The rollup of a chunk's points (times ascending): its column names and the chunk to store. */
export function rollupOf(names: readonly string[], c: Chunk): { names: string[]; chunk: Chunk } {
  const numericCol = names.map((_, j) => (c.columns[j] as FieldValue[]).every(numeric));
  const outNames = rollupColumns(names, new Set(numericCol.flatMap((numeric, j) => (numeric ? [] : [j]))));
  const times: bigint[] = [];
  const cols: FieldValue[][] = outNames.map(() => []);
  let i = 0;
  while (i < c.times.length) {
    const start = minuteOf(c.times[i] as bigint);
    let end = i;
    while (end < c.times.length && minuteOf(c.times[end] as bigint) === start) end++;
    times.push(start);
    (cols[0] as FieldValue[]).push(BigInt(end - i));
    (cols[1] as FieldValue[]).push(c.times[end - 1] as bigint);
    let k = 2;
    names.forEach((_, j) => {
      const col = c.columns[j] as FieldValue[];
      (cols[k++] as FieldValue[]).push(col[end - 1] as FieldValue);
      if (!numericCol[j]) return;
      let min = col[i] as number | bigint;
      let max = min;
      // why: starting from the first value (not 0) keeps a lone -0's sum -0, as a mean of the points gives
      let sum = Number(min);
      for (let p = i + 1; p < end; p++) {
        const v = col[p] as number | bigint;
        if (less(v, min)) min = v;
        if (less(max, v)) max = v;
        sum += Number(v);
      }
      (cols[k++] as FieldValue[]).push(min);
      (cols[k++] as FieldValue[]).push(max);
      (cols[k++] as FieldValue[]).push(sum);
    });
    i = end;
  }
  return { names: outNames, chunk: { times, columns: cols } };
}

/** The minutes of a stored rollup (its column names and decoded chunk); throws on columns it did not write. */
export function minutesOf(names: readonly string[], c: Chunk): Minute[] {
  const at = new Map(names.map((n, j) => [n, c.columns[j] as FieldValue[]]));
  const n = at.get("n");
  const tLast = at.get("t_last");
  if (n === undefined || tLast === undefined) throw new Error("rollup: no n or t_last column");
  const fields = names.filter((x) => x.endsWith("|last")).map((x) => x.slice(0, -"|last".length));
  return c.times.map((start, i) => {
    const m: Minute = { start, n: Number(n[i]), lastNs: tLast[i] as bigint, fields: new Map() };
    for (const f of fields) {
      const fm: FieldMinute = { n: m.n, last: (at.get(`${f}|last`) as FieldValue[])[i] as FieldValue };
      const sum = at.get(`${f}|sum`);
      if (sum !== undefined) {
        fm.min = (at.get(`${f}|min`) as FieldValue[])[i] as number | bigint;
        fm.max = (at.get(`${f}|max`) as FieldValue[])[i] as number | bigint;
        fm.sum = Number(sum[i]);
      }
      m.fields.set(f, fm);
    }
    return m;
  });
}
