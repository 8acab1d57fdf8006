// The byte streams of a chunk (chunk.ts): a growable output and a bounds-checked input, with unsigned LEB128 and
// zigzag varints over safe integers and BigInts; and the FLOAT column's XOR coding. Reading past the end, an
// over-long varint or a bad control byte throws RangeError.
import type { FieldValue } from "@eastwest/common";

/** Control byte of a float equal to the previous one. */
const EQUAL = 0x88;

/** A growable byte buffer written front to back. */
export class Out {
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

/** A byte buffer read front to back. */
export class In {
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

/** A FLOAT column (chunk.ts): each value's IEEE bits XORed with the previous one's, as a control byte and the middle bytes. */
export function writeFloats(out: Out, column: readonly FieldValue[]): void {
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

export function readFloats(inp: In, n: number): number[];
export function readFloats(inp: In, n: number, out: Float64Array): Float64Array;
export function readFloats(inp: In, n: number, out: number[] | Float64Array = new Array<number>(n)): number[] | Float64Array {
  // why: the bytes are read here, not through In.take, which made a Buffer view per value
  const buf = inp.buf;
  let pos = inp.pos;
  let ph = 0;
  let pl = 0;
  for (let k = 0; k < n; k++) {
    if (pos >= buf.length) throw new RangeError("chunk: truncated");
    const c = buf[pos++] as number;
    if (c !== EQUAL) {
      const lead = c >> 4;
      const trail = c & 0x0f;
      if (lead + trail >= 8) throw new RangeError("chunk: bad float control byte");
      const end = pos + 8 - lead - trail;
      if (end > buf.length) throw new RangeError("chunk: truncated");
      let xh = 0;
      let xl = 0;
      for (let at = lead; pos < end; at++) {
        const b = buf[pos++] as number;
        if (at < 4) xh |= b << (24 - 8 * at);
        else xl |= b << (24 - 8 * (at - 4));
      }
      ph = (ph ^ xh) >>> 0;
      pl = (pl ^ xl) >>> 0;
    }
    u32[HI] = ph;
    u32[LO] = pl;
    out[k] = f64[0] as number;
  }
  inp.pos = pos;
  return out;
}
