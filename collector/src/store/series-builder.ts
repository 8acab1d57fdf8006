// Builds one Series from its points in ascending time, raw or bucketed. Pure;
// shared by every store that cannot aggregate natively.
import type { FieldValue } from "@eastwest/common";
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
 * The values of one field set: its names and, per name, a column (a chunk's) or a single value (a row's). Rows point
 * into segments, so a chunk's points are added without an object per point.
 */
export interface Segment {
  names: readonly string[];
  columns: ReadonlyArray<ArrayLike<FieldValue>>;
}

type Row = { timeNs: bigint; seg: Segment; i: number };

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
  readonly #rows: Row[] = [];
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
        this.#rows.push({ timeNs, seg, i });
      }
      return;
    }
    if (!this.#enter(bucketStart(timeNs, everyNs))) return;
    for (const [name, j] of this.#indexOf(seg)) accumulate(this.#accs, name, (seg.columns[j] as ArrayLike<FieldValue>)[i] as FieldValue);
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
    const names = this.#opts.fields ?? [...this.#seen].sort();
    const values = this.#rows.map((r) => {
      const index = this.#indexOf(r.seg);
      const row: Array<bigint | FieldValue | null> = [r.timeNs];
      for (const n of names) {
        const j = index.get(n);
        row.push(j === undefined ? null : ((r.seg.columns[j] as ArrayLike<FieldValue>)[r.i] as FieldValue));
      }
      return row;
    });
    return {
      measurement: this.#measurement,
      tags: this.#tags,
      columns: ["time_ns", ...names],
      values,
      truncated: this.#truncated,
    };
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
    return this.#opts.limit !== undefined && this.#rows.length >= this.#opts.limit;
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
    this.#rows.push({ timeNs: this.#bucket, seg: { names, columns }, i: 0 });
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
