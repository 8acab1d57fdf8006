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
import { In, Out, readFloats, writeFloats } from "./chunk-io.ts";

const FORMAT = 1;
const KIND = { INT: 1, BIG: 2, FLOAT: 3, JSON: 4, DECIMAL: 5 } as const;
/** Decimal places a DECIMAL column may have. */
const MAX_PLACES = 6;
/** Integers within this bound keep deltas and delta-of-deltas inside float64's exact range (2^53). */
const SMALL = 2 ** 50;
/** How far from a chunk's first time (and how large a step) the reader adds up in floats: sums stay exact (< 2^53). */
const NEAR = 2 ** 52;

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

function readDecimals(inp: In, n: number): number[] {
  const k = inp.byte();
  if (k > MAX_PLACES) throw new RangeError(`chunk: ${k} decimal places`);
  const scale = 10 ** k;
  return readInts(inp, n).map((m) => Number(m) / scale);
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

function readTimes(inp: In, n: number): bigint[] {
  const start = inp.pos;
  try {
    const near = readTimesNear(inp, n);
    if (near !== undefined) return near;
  } catch {
    // a varint too long for a float: the BigInt reader reads it, or says what is wrong
  }
  inp.pos = start;
  return readTimesBig(inp, n);
}

/**
 * readTimes where every time is within 2^52 of the first (104 days in ns) and every delta-of-delta too: the offsets
 * are added up as floats, exactly, and one BigInt is made per time. Undefined (the position then anywhere) otherwise.
 */
function readTimesNear(inp: In, n: number): bigint[] | undefined {
  const times: bigint[] = new Array(n);
  if (n === 0) return times;
  const first = inp.zvarBig();
  times[0] = first;
  let offset = 0;
  let step = 0;
  for (let i = 1; i < n; i++) {
    const dod = inp.zvar();
    step += dod;
    offset += step;
    if (!(Math.abs(dod) <= NEAR && Math.abs(step) <= NEAR && Math.abs(offset) <= NEAR)) return undefined;
    times[i] = first + BigInt(offset);
  }
  return times;
}

function readTimesBig(inp: In, n: number): bigint[] {
  const times: bigint[] = new Array(n);
  let prev = 0n;
  let step = 0n;
  for (let i = 0; i < n; i++) {
    if (i === 0) prev = inp.zvarBig();
    else {
      step += inp.zvarBig();
      prev += step;
    }
    times[i] = prev;
  }
  return times;
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

function readInts(inp: In, n: number): bigint[] {
  const out: bigint[] = new Array(n);
  if (n === 0) return out;
  let prev = safe(inp.zvar());
  const unit = inp.uvar();
  let step = 0n;
  out[0] = prev;
  // why: making a BigInt from a float is a runtime call per value, adding BigInts is not; the few delta-of-deltas a
  // column repeats are made once
  const made: Array<bigint | undefined> = [];
  for (let i = 1; i < n; i++) {
    const dod = inp.zvar();
    if (dod !== 0) {
      const k = dod >= -MADE && dod <= MADE ? dod + MADE : -1;
      let d = k >= 0 ? made[k] : undefined;
      if (d === undefined) {
        d = safe(dod * unit);
        if (k >= 0) made[k] = d;
      }
      step = BigInt.asIntN(64, step + d);
    }
    prev = BigInt.asIntN(64, prev + step);
    if (prev > MAX_SAFE || prev < -MAX_SAFE) throw new RangeError("chunk: integer column out of range");
    out[i] = prev;
  }
  return out;
}

/** Delta-of-deltas within +-MADE (in the column's unit) are made into BigInts once per column. */
const MADE = 256;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safe(v: number): bigint {
  if (!Number.isSafeInteger(v)) throw new RangeError("chunk: integer column out of range");
  return BigInt(v);
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
  const inp = new In(inflateRawSync(data));
  const format = inp.byte();
  if (format !== FORMAT) throw new RangeError(`chunk: format ${format} (this build reads ${FORMAT})`);
  const n = inp.uvar();
  const width = inp.uvar();
  // why: every point takes at least one byte of times and every column one kind byte, so larger counts are corrupt
  if (n > inp.buf.length || width > inp.buf.length) throw new RangeError("chunk: header out of range");
  const times = readTimes(inp, n);
  const columns: FieldValue[][] = new Array(width);
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
    if (kind === KIND.INT) columns[j] = readInts(inp, n);
    else if (kind === KIND.BIG) columns[j] = readTimes(inp, n);
    else if (kind === KIND.FLOAT) columns[j] = readFloats(inp, n);
    else if (kind === KIND.JSON) columns[j] = readJson(inp, n);
    else if (kind === KIND.DECIMAL) columns[j] = readDecimals(inp, n);
    else throw new RangeError(`chunk: column kind ${kind}`);
    if (inp.pos !== end) throw new RangeError(`chunk: column ${j} is ${len} bytes, read ${inp.pos - (end - len)}`);
  }
  if (inp.pos !== inp.buf.length) throw new RangeError("chunk: trailing bytes");
  return { times, columns };
}
