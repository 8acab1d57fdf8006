// A chunk: the points of one series with one field set over a stretch of time, packed column by column and then
// deflated. Pure. The layout follows the Gorilla / Prometheus TSDB scheme at byte rather than bit granularity, with
// deflate doing the rest:
//
//   header   format byte (1), point count, column count (unsigned LEB128 varints)
//   times    the first time as a zigzag varint, then each delta-of-delta (the change in the step) as a zigzag varint:
//            a steady 1 Hz series writes one 0 byte per point
//   columns  per field, a kind byte, its length in bytes (a reader skips the columns it does not need), then its values:
//            INT   (every value an integer within +-2^50) first value, the delta-of-deltas' greatest common divisor,
//                  then each delta-of-delta divided by it, as varints: a counter that grows at a steady rate (or in
//                  steady units, like CPU time in 10 ms ticks) writes one small byte per point
//            BIG   (every value an integer, any 64-bit one) the same with BigInt arithmetic
//            FLOAT (every value a float) each value's IEEE bits XORed with the previous one's: a control byte
//                  (leading zero bytes << 4 | trailing zero bytes; 0x88 when equal) and the bytes in between
//            DECIMAL (every value a float that is exactly m / 10^k for an integer m within +-2^50 and one k <= 6, -0
//                  excepted: 12.5, 0.0, 99.97) k, then the m as an INT column: decoding computes the same m / 10^k
//            JSON  (strings, booleans, mixed types) the column as the store's type-preserving JSON array (codec.ts)
//
// Decoding gives back every value with its type (number = float, bigint = integer, string, boolean) and every time.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { FieldValue } from "@eastwest/common";
import { encodeValue } from "../codec.ts";
import { parseTyped } from "../json.ts";
import type { TypedColumn } from "../columns.ts";
import { In, Out, readFloats, writeFloats } from "./chunk-io.ts";
import { MAX_PLACES, readDecimals, readDecimalsTyped, readInts, readIntsTyped, readTimes } from "./chunk-read.ts";

const FORMAT = 1;
const KIND = { INT: 1, BIG: 2, FLOAT: 3, JSON: 4, DECIMAL: 5 } as const;
/** Integers within this bound keep deltas and delta-of-deltas inside float64's exact range (2^53). */
const SMALL = 2 ** 50;

export interface Chunk {
  /** Point times, ascending (ties kept in their order). */
  times: bigint[];
  /** One array per field, in field-set order, each as long as times. */
  columns: FieldValue[][];
}

function kindOf(column: readonly FieldValue[]): number {
  let ints = 0;
  let small = 0;
  let floats = 0;
  for (const v of column) {
    if (typeof v === "bigint") {
      ints++;
      if (v >= -SMALL && v <= SMALL) small++;
    } else if (typeof v === "number" && Number.isFinite(v)) floats++;
  }
  if (small === column.length) return KIND.INT;
  if (ints === column.length) return KIND.BIG;
  if (floats === column.length) return placesOf(column) === undefined ? KIND.FLOAT : KIND.DECIMAL;
  return KIND.JSON;
}

/** The fewest decimal places k with every value exactly round(v * 10^k) / 10^k (and within range); undefined when none. */
function placesOf(column: readonly FieldValue[]): number | undefined {
  next: for (let k = 0; k <= MAX_PLACES; k++) {
    const scale = 10 ** k;
    for (const v of column) {
      // why: an integer has no -0, so a column holding one stays FLOAT
      if (Object.is(v, -0)) return undefined;
      const m = Math.round((v as number) * scale);
      if (Math.abs(m) > SMALL || !Object.is(m / scale, v)) continue next;
    }
    return k;
  }
  return undefined;
}

function writeDecimals(out: Out, column: readonly FieldValue[]): void {
  const k = placesOf(column) as number;
  const scale = 10 ** k;
  out.byte(k);
  writeInts(out, column.map((v) => BigInt(Math.round((v as number) * scale))));
}

function writeTimes(out: Out, times: readonly bigint[]): void {
  let prev = 0n;
  let step = 0n;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as bigint;
    if (i === 0) out.zvarBig(t);
    else {
      const d = t - prev;
      out.zvarBig(d - step);
      step = d;
    }
    prev = t;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function writeInts(out: Out, column: readonly FieldValue[]): void {
  const n = column.length;
  const dods: number[] = new Array(Math.max(0, n - 1));
  let prev = n > 0 ? Number(column[0] as bigint) : 0;
  let step = 0;
  let g = 0;
  for (let i = 1; i < n; i++) {
    const v = Number(column[i] as bigint);
    const d = v - prev;
    const dod = d - step;
    dods[i - 1] = dod;
    if (dod !== 0 && g !== 1) g = gcd(g, Math.abs(dod));
    step = d;
    prev = v;
  }
  if (n === 0) return;
  out.zvar(Number(column[0] as bigint));
  // why: counters read in coarse units (CPU time in 10 ms ticks as ns) have delta-of-deltas that are all multiples
  // of one step; dividing by it makes them small
  const unit = g === 0 ? 1 : g;
  out.uvar(unit);
  for (const dod of dods) out.zvar(dod / unit);
}

function writeBigs(out: Out, column: readonly FieldValue[]): void {
  writeTimes(out, column as bigint[]);
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function writeJson(out: Out, column: readonly FieldValue[]): void {
  let text = "[";
  for (let i = 0; i < column.length; i++) {
    const v = encodeValue(column[i]);
    if (v === undefined) throw new TypeError(`chunk: value ${String(column[i])} cannot be stored`);
    text += (i === 0 ? "" : ",") + v;
  }
  const b = utf8.encode(text + "]");
  out.uvar(b.length);
  out.bytes(b);
}

function readJson(inp: In, n: number): FieldValue[] {
  const vals = parseTyped(fromUtf8.decode(inp.take(inp.uvar())));
  if (!Array.isArray(vals) || vals.length !== n) throw new RangeError("chunk: JSON column has the wrong length");
  return vals as FieldValue[];
}

/** Packs a chunk; times must be ascending and every column as long as times. Throws TypeError on a value the store cannot hold. */
export function encodeChunk(c: Chunk): Uint8Array {
  const n = c.times.length;
  const out = new Out();
  out.byte(FORMAT);
  out.uvar(n);
  out.uvar(c.columns.length);
  writeTimes(out, c.times);
  for (const column of c.columns) {
    if (column.length !== n) throw new TypeError(`chunk: a column of ${column.length} values for ${n} times`);
    const kind = kindOf(column);
    const body = new Out();
    if (kind === KIND.INT) writeInts(body, column);
    else if (kind === KIND.BIG) writeBigs(body, column);
    else if (kind === KIND.FLOAT) writeFloats(body, column);
    else if (kind === KIND.DECIMAL) writeDecimals(body, column);
    else writeJson(body, column);
    out.byte(kind);
    out.uvar(body.len);
    out.bytes(body.buf.subarray(0, body.len));
  }
  return deflateRawSync(out.buf.subarray(0, out.len));
}

/**
 * Unpacks a chunk written by encodeChunk; throws RangeError on bytes it did not write. With `want`, only the
 * columns it accepts are decoded (the others are left empty).
 */
export function decodeChunk(data: Uint8Array, want?: (column: number) => boolean): Chunk {
  return decode(data, want, false) as Chunk;
}

/**
 * decodeChunk with its number columns typed (TypedColumn: integers and floats in Float64Arrays, no object per
 * value); big integers, strings, booleans and mixed columns as decodeChunk gives them.
 */
export function decodeChunkTyped(data: Uint8Array, want?: (column: number) => boolean): { times: bigint[]; columns: Array<FieldValue[] | TypedColumn> } {
  return decode(data, want, true);
}

function decode(data: Uint8Array, want: ((column: number) => boolean) | undefined, typed: boolean): { times: bigint[]; columns: Array<FieldValue[] | TypedColumn> } {
  const inp = new In(inflateRawSync(data));
  const format = inp.byte();
  if (format !== FORMAT) throw new RangeError(`chunk: format ${format} (this build reads ${FORMAT})`);
  const n = inp.uvar();
  const width = inp.uvar();
  // why: every point takes at least one byte of times and every column one kind byte, so larger counts are corrupt
  if (n > inp.buf.length || width > inp.buf.length) throw new RangeError("chunk: header out of range");
  const times = readTimes(inp, n);
  const columns: Array<FieldValue[] | TypedColumn> = new Array(width);
  for (let j = 0; j < width; j++) {
    const kind = inp.byte();
    const len = inp.uvar();
    const end = inp.pos + len;
    if (end > inp.buf.length) throw new RangeError("chunk: truncated");
    if (want !== undefined && !want(j)) {
      inp.pos = end;
      columns[j] = [];
      continue;
    }
    if (kind === KIND.INT) columns[j] = typed ? { kind: "int", values: readIntsTyped(inp, n) } : readInts(inp, n);
    else if (kind === KIND.BIG) columns[j] = readTimes(inp, n);
    else if (kind === KIND.FLOAT) columns[j] = typed ? { kind: "float", values: readFloats(inp, n, new Float64Array(n)) } : readFloats(inp, n);
    else if (kind === KIND.JSON) columns[j] = readJson(inp, n);
    else if (kind === KIND.DECIMAL) columns[j] = typed ? { kind: "float", values: readDecimalsTyped(inp, n) } : readDecimals(inp, n);
    else throw new RangeError(`chunk: column kind ${kind}`);
    if (inp.pos !== end) throw new RangeError(`chunk: column ${j} is ${len} bytes, read ${inp.pos - (end - len)}`);
  }
  if (inp.pos !== inp.buf.length) throw new RangeError("chunk: trailing bytes");
  return { times, columns };
}
