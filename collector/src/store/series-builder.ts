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
type Acc = { sum: number; n: number; numeric: boolean; last: FieldValue };

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
    const bucket = bucketStart(timeNs, everyNs);
    if (this.#bucket !== bucket) {
      this.#flush();
      if (this.#atLimit()) {
        this.#truncated = true;
        return;
      }
      this.#bucket = bucket;
    }
    for (const [name, j] of this.#indexOf(seg)) accumulate(this.#accs, name, (seg.columns[j] as ArrayLike<FieldValue>)[i] as FieldValue);
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
    const mean = (this.#opts.aggregate ?? "mean") === "mean";
    const names: string[] = [];
    const columns: FieldValue[][] = [];
    for (const [name, acc] of this.#accs) {
      if (!mean) {
        names.push(name);
        columns.push([acc.last]);
      } else if (acc.numeric) {
        names.push(name);
        columns.push([acc.sum / acc.n]);
      }
    }
    this.#rows.push({ timeNs: this.#bucket, seg: { names, columns }, i: 0 });
    this.#bucket = undefined;
    this.#accs = new Map();
  }
}

function accumulate(accs: Map<string, Acc>, name: string, value: FieldValue): void {
  const numeric = typeof value === "number" || typeof value === "bigint";
  const acc = accs.get(name);
  if (acc === undefined) {
    accs.set(name, { sum: numeric ? Number(value) : 0, n: 1, numeric, last: value });
    return;
  }
  acc.numeric &&= numeric;
  if (numeric) acc.sum += Number(value);
  acc.n += 1;
  acc.last = value;
}
