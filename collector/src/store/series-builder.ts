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

type Row = { timeNs: bigint; fields: Map<string, FieldValue> };
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
    if (this.#truncated) return;
    const everyNs = this.#opts.everyNs;
    if (everyNs === undefined) {
      if (this.#atLimit()) this.#truncated = true;
      else this.#rows.push({ timeNs, fields: this.#pick(fields) });
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
    for (const [name, value] of this.#pick(fields)) accumulate(this.#accs, name, value);
  }

  finish(): Series {
    this.#flush();
    const names = this.#opts.fields ?? [...this.#seen].sort();
    const values = this.#rows.map((r) => [r.timeNs, ...names.map((n) => r.fields.get(n) ?? null)]);
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

  #pick(fields: Record<string, FieldValue>): Map<string, FieldValue> {
    const out = new Map<string, FieldValue>();
    for (const name in fields) {
      if (this.#wanted !== undefined && !this.#wanted.has(name)) continue;
      out.set(name, fields[name] as FieldValue);
      this.#seen.add(name);
    }
    return out;
  }

  #flush(): void {
    if (this.#bucket === undefined) return;
    const mean = (this.#opts.aggregate ?? "mean") === "mean";
    const fields = new Map<string, FieldValue>();
    for (const [name, acc] of this.#accs) {
      if (!mean) fields.set(name, acc.last);
      else if (acc.numeric) fields.set(name, acc.sum / acc.n);
    }
    this.#rows.push({ timeNs: this.#bucket, fields });
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
