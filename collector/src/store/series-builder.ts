// Builds one Series from its points in ascending time, raw or bucketed. Pure;
// shared by every store that cannot aggregate natively.
import type { FieldValue } from "@eastwest/common";
import { cell, isTyped, type ColumnSeries, type TypedColumn } from "./columns.ts";
import { buildColumn } from "./series-columns.ts";
import type { Aggregate, Series } from "./types.ts";

export interface BuildOptions {
  /** Columns after time_ns, in order. Absent: every field seen, sorted by name. */
  fields?: string[];
  everyNs?: bigint;
  aggregate?: Aggregate;
  /** Maximum rows; absent: no limit. */
  limit?: number;
}

/**
 * The values of one field set: its names and, per name, a column (a chunk's, maybe typed) or a single value (a
 * row's). Rows point into segments, so a chunk's points are added without an object per point.
 */
export interface Segment {
  names: readonly string[];
  columns: ReadonlyArray<ArrayLike<FieldValue> | TypedColumn>;
}

/** Point i of a segment column, as the row answer holds it. */
function valueAt(c: ArrayLike<FieldValue> | TypedColumn, i: number): FieldValue {
  return isTyped(c) ? (cell(c, i) as FieldValue) : (c[i] as FieldValue);
}

/** What one minute of one field holds (a rollup's, embedded/rollup.ts; or one point's). */
export interface FieldMinute {
  n: number;
  last: FieldValue;
  /** Numeric fields only (else undefined). */
  min?: number | bigint;
  max?: number | bigint;
  sum?: number;
}

/** One minute of one series: its points' count, the time of the last, and per field what it holds. */
export interface Minute {
  start: bigint;
  n: number;
  lastNs: bigint;
  fields: Map<string, FieldMinute>;
}

type Acc = { sum: number; n: number; numeric: boolean; last: FieldValue; min: number | bigint | undefined; max: number | bigint | undefined };

/** Start of the epoch-aligned bucket holding timeNs (floor division, also before 1970). */
export function bucketStart(timeNs: bigint, everyNs: bigint): bigint {
  const rem = timeNs % everyNs;
  return rem < 0n ? timeNs - rem - everyNs : timeNs - rem;
}

export class SeriesBuilder {
  readonly #measurement: string;
  readonly #tags: Record<string, string>;
  readonly #opts: BuildOptions;
  readonly #wanted: Set<string> | undefined;
  /** The rows so far (raw points, or finished buckets): time, segment and index in it, as parallel arrays. */
  readonly #times: bigint[] = [];
  readonly #segs: Segment[] = [];
  readonly #at: number[] = [];
  readonly #seen = new Set<string>();
  /** Column index by name per segment, and which segments' names are in #seen. */
  readonly #index = new WeakMap<Segment, Map<string, number>>();
  #truncated = false;
  #bucket: bigint | undefined;
  #accs = new Map<string, Acc>();
  /** agg=increase: each numeric field's last value in the previous bucket that had it. */
  readonly #prevLast = new Map<string, number | bigint>();

  constructor(measurement: string, tags: Record<string, string>, opts: BuildOptions) {
    this.#measurement = measurement;
    this.#tags = tags;
    this.#opts = opts;
    this.#wanted = opts.fields === undefined ? undefined : new Set(opts.fields);
  }

  /** True once limit rows are complete and a further row was refused. */
  get full(): boolean {
    return this.#truncated;
  }

  /** Adds one point; points must arrive in ascending time. */
  add(timeNs: bigint, fields: Record<string, FieldValue>): void {
    const names = Object.keys(fields);
    this.addAt(timeNs, { names, columns: names.map((n) => [fields[n] as FieldValue]) }, 0);
  }

  /** Adds point i of a segment; points must arrive in ascending time. */
  addAt(timeNs: bigint, seg: Segment, i: number): void {
    if (this.#truncated) return;
    const everyNs = this.#opts.everyNs;
    if (everyNs === undefined) {
      if (this.#atLimit()) this.#truncated = true;
      else {
        this.#indexOf(seg);
        this.#push(timeNs, seg, i);
      }
      return;
    }
    if (!this.#enter(bucketStart(timeNs, everyNs))) return;
    for (const [name, j] of this.#indexOf(seg)) accumulate(this.#accs, name, valueAt(seg.columns[j] as ArrayLike<FieldValue>, i));
  }

  /** Adds points from..to-1 of a segment, whose times are times[from..to-1]; as addAt for each, in one call. */
  addRange(times: readonly bigint[], seg: Segment, from: number, to: number): void {
    if (this.#opts.everyNs !== undefined) {
      for (let i = from; i < to && !this.#truncated; i++) this.addAt(times[i] as bigint, seg, i);
      return;
    }
    if (this.#truncated || from >= to) return;
    this.#indexOf(seg);
    const room = this.#opts.limit === undefined ? Infinity : this.#opts.limit - this.#times.length;
    const end = Math.min(to, from + room);
    for (let i = from; i < end; i++) this.#push(times[i] as bigint, seg, i);
    if (end < to) this.#truncated = true;
  }

  /**
   * Adds one minute of a rollup (bucketed builds only; every must be a whole number of minutes): at the time of the
   * minute's last point, in ascending time with the other points and minutes.
   */
  addMinute(m: Minute): void {
    if (this.#truncated) return;
    const everyNs = this.#opts.everyNs;
    if (everyNs === undefined) throw new Error("series builder: a rollup minute in a raw build");
    if (!this.#enter(bucketStart(m.lastNs, everyNs))) return;
    for (const [name, fm] of m.fields) {
      if (this.#wanted !== undefined && !this.#wanted.has(name)) continue;
      this.#seen.add(name);
      merge(this.#accs, name, fm);
    }
  }

  finish(): Series {
    this.#flush();
    const names = this.#names();
    const width = names.length;
    const values: Array<Array<bigint | FieldValue | null>> = new Array(this.#times.length);
    // per segment, its column for each output name (undefined: the segment has no such field); a typed column's
    // values, and whether they are integers (made BigInts here, as the row answer has them)
    let seg: Segment | undefined;
    let cols: Array<ArrayLike<FieldValue> | undefined> = [];
    let ints: boolean[] = [];
    for (let r = 0; r < values.length; r++) {
      const s = this.#segs[r] as Segment;
      if (s !== seg) {
        seg = s;
        const found = names.map((n) => this.#columnOf(s, n));
        cols = found.map((c) => (c === undefined ? undefined : isTyped(c) ? (c.values as ArrayLike<number>) : c));
        ints = found.map((c) => c !== undefined && isTyped(c) && c.kind === "int");
      }
      const i = this.#at[r] as number;
      const row: Array<bigint | FieldValue | null> = new Array(width + 1);
      row[0] = this.#times[r] as bigint;
      for (let k = 0; k < width; k++) {
        const col = cols[k];
        row[k + 1] = col === undefined ? null : ints[k] ? BigInt(col[i] as number) : (col[i] as FieldValue);
      }
      values[r] = row;
    }
    return {
      measurement: this.#measurement,
      tags: this.#tags,
      columns: ["time_ns", ...names],
      values,
      truncated: this.#truncated,
    };
  }

  /** The same answer as finish(), as columns (columns.ts). */
  finishColumns(): ColumnSeries {
    this.#flush();
    const fields = this.#names();
    return {
      measurement: this.#measurement,
      tags: this.#tags,
      fields,
      times: this.#times,
      columns: fields.map((name) => buildColumn(this.#segs, this.#at, (s: Segment) => this.#columnOf(s, name))),
      truncated: this.#truncated,
    };
  }

  /** Output columns: the asked fields in their order, else every field seen, sorted. */
  #names(): string[] {
    return this.#opts.fields ?? [...this.#seen].sort();
  }

  #columnOf(s: Segment, name: string): ArrayLike<FieldValue> | TypedColumn | undefined {
    const j = this.#indexOf(s).get(name);
    return j === undefined ? undefined : s.columns[j];
  }

  /** Moves to `bucket` (flushing the one before); false when that would pass the limit (the build is then cut). */
  #enter(bucket: bigint): boolean {
    if (this.#bucket === bucket) return true;
    this.#flush();
    if (this.#atLimit()) {
      this.#truncated = true;
      return false;
    }
    this.#bucket = bucket;
    return true;
  }

  #atLimit(): boolean {
    return this.#opts.limit !== undefined && this.#times.length >= this.#opts.limit;
  }

  #push(timeNs: bigint, seg: Segment, i: number): void {
    this.#times.push(timeNs);
    this.#segs.push(seg);
    this.#at.push(i);
  }

  /** The wanted fields of a segment by column index; its names count as seen. */
  #indexOf(seg: Segment): Map<string, number> {
    let index = this.#index.get(seg);
    if (index === undefined) {
      index = new Map();
      for (let j = 0; j < seg.names.length; j++) {
        const name = seg.names[j] as string;
        if (this.#wanted !== undefined && !this.#wanted.has(name)) continue;
        index.set(name, j);
        this.#seen.add(name);
      }
      this.#index.set(seg, index);
    }
    return index;
  }

  #flush(): void {
    if (this.#bucket === undefined) return;
    const agg = this.#opts.aggregate ?? "mean";
    const names: string[] = [];
    const columns: FieldValue[][] = [];
    for (const [name, acc] of this.#accs) {
      if (agg === "last") {
        names.push(name);
        columns.push([acc.last]);
      } else if (agg === "increase") {
        if (!acc.numeric) continue;
        const last = acc.last as number | bigint;
        const prev = this.#prevLast.get(name);
        this.#prevLast.set(name, last);
        if (prev === undefined) continue;
        names.push(name);
        columns.push([increase(prev, last)]);
      } else if (acc.numeric) {
        names.push(name);
        columns.push([agg === "mean" ? acc.sum / acc.n : ((agg === "min" ? acc.min : acc.max) as number | bigint)]);
      }
    }
    this.#push(this.#bucket, { names, columns }, 0);
    this.#bucket = undefined;
    this.#accs = new Map();
  }
}

/**
 * A counter's increase from prev to last: their difference, in the counter's type; a counter that went down was
 * reset, and counted up from 0 to last since (as Prometheus' increase() assumes).
 */
function increase(prev: number | bigint, last: number | bigint): number | bigint {
  if (typeof prev === "bigint" && typeof last === "bigint") return last >= prev ? last - prev : last;
  const d = Number(last) - Number(prev);
  return d >= 0 ? d : Number(last);
}

function accumulate(accs: Map<string, Acc>, name: string, value: FieldValue): void {
  const numeric = typeof value === "number" || typeof value === "bigint";
  merge(accs, name, numeric ? { n: 1, last: value, sum: Number(value), min: value, max: value } : { n: 1, last: value });
}

/** Adds a part of a bucket: one point, or one minute of a rollup (its count, sum, min, max and last). */
function merge(accs: Map<string, Acc>, name: string, m: FieldMinute): void {
  const numeric = m.sum !== undefined;
  const acc = accs.get(name);
  if (acc === undefined) {
    accs.set(name, { sum: m.sum ?? 0, n: m.n, numeric, last: m.last, min: m.min, max: m.max });
    return;
  }
  acc.numeric &&= numeric;
  if (acc.numeric) {
    acc.sum += m.sum as number;
    if ((m.min as number | bigint) < (acc.min as number | bigint)) acc.min = m.min;
    if ((m.max as number | bigint) > (acc.max as number | bigint)) acc.max = m.max;
  }
  acc.n += m.n;
  acc.last = m.last;
}
