// A chunk's readers of times and integer columns (the layout is in chunk.ts): as BigInts, as the row answer has them,
// or typed (a Float64Array, no object per value) for the columnar answer (../columns.ts).
import type { In } from "./chunk-io.ts";

/** Decimal places a DECIMAL column may have. */
export const MAX_PLACES = 6;
/** How far from a chunk's first time (and how large a step) the reader adds up in floats: sums stay exact (< 2^53). */
const NEAR = 2 ** 52;

export function readDecimals(inp: In, n: number): number[] {
  const k = inp.byte();
  if (k > MAX_PLACES) throw new RangeError(`chunk: ${k} decimal places`);
  const scale = 10 ** k;
  return readInts(inp, n).map((m) => Number(m) / scale);
}

export function readTimes(inp: In, n: number): bigint[] {
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
  const buf = inp.buf;
  for (let i = 1; i < n; i++) {
    // inp.zvar(), inline (see readIntsTyped)
    if (inp.pos >= buf.length) throw new RangeError("chunk: truncated");
    let b = buf[inp.pos++] as number;
    let u = b & 0x7f;
    for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
      if (inp.pos >= buf.length) throw new RangeError("chunk: truncated");
      if (scale > 2 ** 56) throw new RangeError("chunk: varint too long");
      b = buf[inp.pos++] as number;
      u += (b & 0x7f) * scale;
    }
    const dod = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
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

export function readInts(inp: In, n: number): bigint[] {
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

/**
 * readInts into a Float64Array: exact, since a valid column's values, steps and delta-of-deltas are all within
 * +-(2^53-1). A column that leaves that range is refused (RangeError), as readInts refuses values beyond it.
 */
export function readIntsTyped(inp: In, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  let prev = inp.zvar();
  const unit = inp.uvar();
  if (!Number.isSafeInteger(prev) || !Number.isSafeInteger(unit)) throw new RangeError("chunk: integer column out of range");
  out[0] = prev;
  // why: the varints are read here rather than through In.zvar, a call per value that was most of the read's time
  const buf = inp.buf;
  const len = buf.length;
  let pos = inp.pos;
  let step = 0;
  for (let i = 1; i < n; i++) {
    if (pos >= len) throw new RangeError("chunk: truncated");
    let b = buf[pos++] as number;
    let u = b & 0x7f;
    for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
      if (pos >= len) throw new RangeError("chunk: truncated");
      if (scale > 2 ** 56) throw new RangeError("chunk: varint too long");
      b = buf[pos++] as number;
      u += (b & 0x7f) * scale;
    }
    const d = (u % 2 === 0 ? u / 2 : -(u + 1) / 2) * unit;
    step += d;
    prev += step;
    if (!(Math.abs(d) <= Number.MAX_SAFE_INTEGER && Math.abs(step) <= Number.MAX_SAFE_INTEGER && Math.abs(prev) <= Number.MAX_SAFE_INTEGER)) throw new RangeError("chunk: integer column out of range");
    out[i] = prev;
  }
  inp.pos = pos;
  return out;
}


/** readDecimals into a Float64Array: the same m / 10^k. */
export function readDecimalsTyped(inp: In, n: number): Float64Array {
  const k = inp.byte();
  if (k > MAX_PLACES) throw new RangeError(`chunk: ${k} decimal places`);
  const scale = 10 ** k;
  const out = readIntsTyped(inp, n);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / scale;
  return out;
}
