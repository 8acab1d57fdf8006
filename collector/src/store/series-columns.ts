// Builds the columns of a ColumnSeries (columns.ts) from a SeriesBuilder's rows: each row is point i of a segment, and
// a stretch of rows that are consecutive points of one segment whose column is typed is copied in one call.
import type { FieldValue } from "@eastwest/common";
import { isTyped, type Column, type TypedColumn } from "./columns.ts";

/** A segment's column for the output field, or undefined when the segment has no such field. */
export type ColumnOf<S> = (seg: S) => ArrayLike<FieldValue> | TypedColumn | undefined;

/** The column of one output field over rows 0..n-1: row r is point at[r] of segs[r]. */
export function buildColumn<S>(segs: readonly S[], at: readonly number[], columnOf: ColumnOf<S>): Column {
  const n = segs.length;
  const out = new ColumnBuilder(n);
  let r = 0;
  while (r < n) {
    const seg = segs[r] as S;
    const from = at[r] as number;
    let e = r + 1;
    while (e < n && segs[e] === seg && at[e] === from + (e - r)) e++;
    const c = columnOf(seg);
    if (c === undefined) out.nulls(r, e);
    else if (isTyped(c)) out.typed(c, from, r, e);
    else for (let x = r; x < e; x++) out.put(x, c[at[x] as number] as FieldValue);
    r = e;
  }
  return out.done();
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Fills rows in ascending order; a column stays typed while every value fits its kind, else becomes "any". */
class ColumnBuilder {
  readonly #n: number;
  #kind: "int" | "float" | undefined;
  readonly #f: Float64Array;
  #nulls: Uint8Array | undefined;
  #any: Array<FieldValue | null> | undefined;

  constructor(n: number) {
    this.#n = n;
    this.#f = new Float64Array(n);
  }

  nulls(from: number, to: number): void {
    if (this.#any !== undefined) this.#any.fill(null, from, to);
    else (this.#nulls ??= new Uint8Array(this.#n)).fill(1, from, to);
  }

  /** Rows r..e-1 are points from.. of a typed column. */
  typed(c: TypedColumn, from: number, r: number, e: number): void {
    if (this.#any === undefined && (this.#kind === undefined || this.#kind === c.kind)) {
      this.#kind = c.kind;
      this.#f.set(c.values.subarray(from, from + (e - r)), r);
      return;
    }
    const any = this.#toAny(r);
    for (let x = r; x < e; x++) {
      const v = c.values[from + (x - r)] as number;
      any[x] = c.kind === "int" ? BigInt(v) : v;
    }
  }

  put(x: number, v: FieldValue | null | undefined): void {
    if (v === null || v === undefined) return this.nulls(x, x + 1);
    if (this.#any === undefined) {
      const kind = typeof v === "number" ? "float" : typeof v === "bigint" && v >= -MAX_SAFE && v <= MAX_SAFE ? "int" : undefined;
      if (kind !== undefined && (this.#kind === undefined || this.#kind === kind)) {
        this.#kind = kind;
        this.#f[x] = Number(v);
        return;
      }
    }
    this.#toAny(x)[x] = v;
  }

  done(): Column {
    if (this.#any !== undefined) return { kind: "any", values: this.#any };
    if (this.#kind === undefined) return { kind: "any", values: new Array<FieldValue | null>(this.#n).fill(null) };
    return this.#nulls === undefined ? { kind: this.#kind, values: this.#f } : { kind: this.#kind, values: this.#f, nulls: this.#nulls };
  }

  /** The "any" column, made from the rows before `upTo` the first time a value does not fit. */
  #toAny(upTo: number): Array<FieldValue | null> {
    if (this.#any !== undefined) return this.#any;
    const any: Array<FieldValue | null> = new Array(this.#n).fill(null);
    for (let x = 0; x < upTo; x++) {
      if (this.#nulls?.[x] === 1 || this.#kind === undefined) continue;
      const v = this.#f[x] as number;
      any[x] = this.#kind === "int" ? BigInt(v) : v;
    }
    this.#any = any;
    return any;
  }
}
