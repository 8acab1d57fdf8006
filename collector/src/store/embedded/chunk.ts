// A chunk: the points of one series with one field set over a stretch of time, packed column by column and then
// deflated. Pure. The layout follows the Gorilla / Prometheus TSDB scheme at byte rather than bit granularity, with
// deflate doing the rest:
//
//   header   format byte (1), point count, column count (unsigned LEB128 varints)
//   times    the first time as a zigzag varint, then each delta-of-delta (the change in the step) as a zigzag varint:
//            a steady 1 Hz series writes one 0 byte per point
//   columns  per field, a kind byte, then its values:
//            INT   (every value an integer within +-2^50) first value, the delta-of-deltas' greatest common divisor,
//                  then each delta-of-delta divided by it, as varints: a counter that grows at a steady rate (or in
//                  steady units, like CPU time in 10 ms ticks) writes one small byte per point
//            BIG   (every value an integer, any 64-bit one) the same with BigInt arithmetic
//            FLOAT (every value a float) each value's IEEE bits XORed with the previous one's: a control byte
//                  (leading zero bytes << 4 | trailing zero bytes; 0x88 when equal) and the bytes in between
//            JSON  (strings, booleans, mixed types) the column as the store's type-preserving JSON array (codec.ts)
//
// Decoding gives back every value with its type (number = float, bigint = integer, string, boolean) and every time.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { FieldValue } from "@eastwest/common";
import { encodeValue } from "../codec.ts";
import { parseTyped } from "../json.ts";

const FORMAT = 1;
const KIND = { INT: 1, BIG: 2, FLOAT: 3, JSON: 4 } as const;
/** Integers within this bound keep deltas and delta-of-deltas inside float64's exact range (2^53). */
const SMALL = 2 ** 50;
const EQUAL = 0x88;

export interface Chunk {
  /** Point times, ascending (ties kept in their order). */
  times: bigint[];
  /** One array per field, in field-set order, each as long as times. */
  columns: FieldValue[][];
}

class Out {
  buf = new Uint8Array(1024);
  len = 0;

  #room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.#room(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvar(n: number): void {
    this.#room(8);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** Zigzag varint of a safe integer. */
  zvar(n: number): void {
    this.uvar(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  uvarBig(n: bigint): void {
    this.#room(11);
    while (n >= 0x80n) {
      this.buf[this.len++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.len++] = Number(n);
  }

  zvarBig(n: bigint): void {
    this.uvarBig(n >= 0n ? n << 1n : (-n << 1n) - 1n);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

class In {
  readonly buf: Uint8Array;
  pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError("chunk: truncated");
    return this.buf[this.pos++] as number;
  }

  uvar(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new RangeError("chunk: varint too long");
    }
  }

  zvar(): number {
    const n = this.uvar();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  uvarBig(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7n;
      if (shift > 70n) throw new RangeError("chunk: varint too long");
    }
  }

  zvarBig(): bigint {
    const n = this.uvarBig();
    return n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new RangeError("chunk: truncated");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
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
  if (floats === column.length) return KIND.FLOAT;
  return KIND.JSON;
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
  let prev = inp.zvar();
  const unit = inp.uvar();
  let step = 0;
  out[0] = safe(prev);
  for (let i = 1; i < n; i++) {
    step += inp.zvar() * unit;
    prev += step;
    out[i] = safe(prev);
  }
  return out;
}

function safe(v: number): bigint {
  if (!Number.isSafeInteger(v)) throw new RangeError("chunk: integer column out of range");
  return BigInt(v);
}

function writeBigs(out: Out, column: readonly FieldValue[]): void {
  writeTimes(out, column as bigint[]);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high word of a float64 in u32 (little- or big-endian host). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function leadingZeroBytes(hi: number, lo: number): number {
  const z = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  return z >> 3;
}

function trailingZeroBytes(hi: number, lo: number): number {
  const ctz = (x: number) => (x === 0 ? 32 : 31 - Math.clz32(x & -x));
  const z = lo !== 0 ? ctz(lo) : 32 + ctz(hi);
  return z >> 3;
}

function writeFloats(out: Out, column: readonly FieldValue[]): void {
  let ph = 0;
  let pl = 0;
  const bytes = new Uint8Array(8);
  for (const v of column) {
    f64[0] = v as number;
    const h = u32[HI] as number;
    const l = u32[LO] as number;
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if (xh === 0 && xl === 0) {
      out.byte(EQUAL);
      continue;
    }
    const lead = leadingZeroBytes(xh, xl);
    const trail = trailingZeroBytes(xh, xl);
    out.byte((lead << 4) | trail);
    // big-endian bytes of the XOR, then the middle ones
    for (let i = 0; i < 4; i++) {
      bytes[i] = (xh >>> (24 - 8 * i)) & 0xff;
      bytes[4 + i] = (xl >>> (24 - 8 * i)) & 0xff;
    }
    out.bytes(bytes.subarray(lead, 8 - trail));
  }
}

function readFloats(inp: In, n: number): number[] {
  const out: number[] = new Array(n);
  let ph = 0;
  let pl = 0;
  for (let k = 0; k < n; k++) {
    const c = inp.byte();
    if (c !== EQUAL) {
      const lead = c >> 4;
      const trail = c & 0x0f;
      if (lead + trail >= 8) throw new RangeError("chunk: bad float control byte");
      const mid = inp.take(8 - lead - trail);
      let xh = 0;
      let xl = 0;
      for (let i = 0; i < mid.length; i++) {
        const pos = lead + i;
        const b = mid[i] as number;
        if (pos < 4) xh |= b << (24 - 8 * pos);
        else xl |= b << (24 - 8 * (pos - 4));
      }
      ph = (ph ^ xh) >>> 0;
      pl = (pl ^ xl) >>> 0;
    }
    u32[HI] = ph;
    u32[LO] = pl;
    out[k] = f64[0] as number;
  }
  return out;
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
    out.byte(kind);
    if (kind === KIND.INT) writeInts(out, column);
    else if (kind === KIND.BIG) writeBigs(out, column);
    else if (kind === KIND.FLOAT) writeFloats(out, column);
    else writeJson(out, column);
  }
  return deflateRawSync(out.buf.subarray(0, out.len));
}

/** Unpacks a chunk written by encodeChunk; throws RangeError on bytes it did not write. */
export function decodeChunk(data: Uint8Array): Chunk {
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
    if (kind === KIND.INT) columns[j] = readInts(inp, n);
    else if (kind === KIND.BIG) columns[j] = readTimes(inp, n);
    else if (kind === KIND.FLOAT) columns[j] = readFloats(inp, n);
    else if (kind === KIND.JSON) columns[j] = readJson(inp, n);
    else throw new RangeError(`chunk: column kind ${kind}`);
  }
  if (inp.pos !== inp.buf.length) throw new RangeError("chunk: trailing bytes");
  return { times, columns };
}
