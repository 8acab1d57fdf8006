// The protobuf wire format as the batch decoder reads it: varints into two
// 32-bit halves, 64-bit integers as bigint, and strings through an interner.
// Every read is bounds-checked; a malformed frame throws DecodeError.
import { isUtf8 } from "node:buffer";

/** A frame that is not valid protobuf (truncated, an over-long varint, an unknown wire type). */
export class DecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DecodeError";
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
const WIRE_GROUP_START = 3;
const WIRE_GROUP_END = 4;
const WIRE_I32 = 5;
const TWO_32 = 4294967296;

/**
 * A decoded string. Interned names have an id >= 1, unique while the
 * interner keeps them; 0 marks a string decoded on its own (long or not
 * ASCII). piece is the string's part of a key: its length, ":", itself.
 */
export interface Name {
  readonly s: string;
  /** False when the bytes were not valid UTF-8 (s then holds U+FFFD for each bad sequence). */
  readonly utf8: boolean;
  /** The string's bytes, to compare with a frame's (empty for strings decoded on their own). */
  readonly bytes: Uint8Array;
  readonly id: number;
  /** The interner generation the id belongs to. */
  readonly gen: number;
  readonly piece: string;
}

const NO_BYTES = new Uint8Array(0);
export const EMPTY_NAME: Name = { s: "", utf8: true, bytes: NO_BYTES, id: 0, gen: -1, piece: "0:" };

const INTERN_MAX_BYTES = 64;
const INTERN_MAX_ENTRIES = 8192;

/** A string decoded on its own; only these can hold non-ASCII bytes, so only these are checked for UTF-8. */
function lone(buf: Buffer, start: number, stop: number): Name {
  const bytes = buf.subarray(start, stop);
  const s = bytes.toString("utf8");
  return { s, utf8: isUtf8(bytes), bytes: NO_BYTES, id: 0, gen: -1, piece: s.length + ":" + s };
}

/**
 * Short ASCII strings (names, tag values) repeat in every batch: they are
 * found by a hash of their bytes and checked byte by byte instead of being
 * decoded again. A hash collision only costs a decode. When the table is
 * full it is emptied and a new generation starts: ids restart at 1, so ids
 * are only comparable within one generation.
 */
class Interner {
  readonly #table = new Map<number, Name>();
  #nextId = 1;
  generation = 0;

  name(buf: Buffer, start: number, stop: number): Name {
    const n = stop - start;
    if (n > INTERN_MAX_BYTES) return lone(buf, start, stop);
    let h = 0x811c9dc5 ^ n;
    for (let i = start; i < stop; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return lone(buf, start, stop);
      h = Math.imul(h ^ c, 16777619);
    }
    h &= 0x3fffffff;
    const hit = this.#table.get(h);
    if (hit !== undefined && sameBytes(hit.bytes, buf, start, stop)) return hit;
    if (this.#table.size >= INTERN_MAX_ENTRIES) {
      this.#table.clear();
      this.generation++;
      this.#nextId = 1;
    }
    const s = buf.toString("latin1", start, stop);
    const e: Name = { s, utf8: true, bytes: new Uint8Array(buf.subarray(start, stop)), id: this.#nextId++, gen: this.generation, piece: s.length + ":" + s };
    this.#table.set(h, e);
    return e;
  }
}

/** True when bytes equals buf[start, stop). */
function sameBytes(bytes: Uint8Array, buf: Buffer, start: number, stop: number): boolean {
  if (bytes.length !== stop - start) return false;
  for (let i = start, k = 0; i < stop; i++, k++) if (bytes[k] !== buf[i]) return false;
  return true;
}

export const INTERNER = new Interner();

function truncated(what: string): DecodeError {
  return new DecodeError(`truncated ${what}`);
}

/** A cursor over one frame. lo/hi hold the last varint read (two's complement halves). */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  lo = 0;
  hi = 0;
  #wideLo = -1;
  #wideHi = -1;
  #wide = 0n;

  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end && (buf[pos] as number) < 0x80) return this.#set(pos + 1, buf[pos] as number, 0);
    let lo = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw truncated("varint");
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#set(pos, lo, 0);
    }
    if (pos >= end) throw truncated("varint");
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b < 0x80) return this.#set(pos, lo, hi);
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) throw truncated("varint");
      b = buf[pos++] as number;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return this.#set(pos, lo, hi);
    }
    throw new DecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  #set(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A tag or length: a varint that must fit 32 bits unsigned. */
  u32(end: number, what: string): number {
    const at = this.pos;
    // why: tags and short lengths are one byte; the general path costs several times more.
    if (at < end) {
      const b = this.buf[at] as number;
      if (b < 0x80) {
        this.pos = at + 1;
        return b;
      }
    }
    this.varint(end);
    if (this.hi !== 0) throw new DecodeError(`${what} at offset ${at} does not fit 32 bits`);
    return this.lo;
  }

  /**
   * A field's tag. Field number 0, the group wire types (3, 4) and wire types 6 and 7 are refused: the generated
   * decoder stops reading a message at field 0 or an end-group tag and goes on in its parent, so a frame holding
   * them reads as a different message there (how a batch once reached validation as a hello).
   */
  tag(end: number): number {
    const t = this.u32(end, "tag");
    const wire = t & 7;
    if (t < 8 || wire === WIRE_GROUP_START || wire === WIRE_GROUP_END || wire > WIRE_I32) throw new DecodeError(`invalid tag ${t} (field ${t >>> 3}, wire type ${wire}) at offset ${this.pos}`);
    return t;
  }

  /** Reads a length and returns the end offset of the length-delimited field that follows. */
  len(end: number): number {
    const n = this.u32(end, "length");
    const stop = this.pos + n;
    if (stop > end) throw truncated("length-delimited field");
    return stop;
  }

  /** The last varint as uint64. */
  u64(): bigint {
    if (this.hi < 0x200000) return BigInt(this.hi * TWO_32 + this.lo);
    // why: points of one tick share their time_ns; the last wide value is reused instead of rebuilt.
    if (this.lo !== this.#wideLo || this.hi !== this.#wideHi) {
      this.#wideLo = this.lo;
      this.#wideHi = this.hi;
      this.#wide = (BigInt(this.hi) << 32n) | BigInt(this.lo);
    }
    return this.#wide;
  }

  /** The last varint as int64. */
  i64(): bigint {
    return this.hi & 0x80000000 ? BigInt.asIntN(64, this.u64()) : this.u64();
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw truncated("double");
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The string in [pos, stop); `expected` is tried first (the name this position held last time). */
  name(stop: number, expected?: Name): Name {
    const start = this.pos;
    this.pos = stop;
    if (expected !== undefined && expected.gen === INTERNER.generation && sameBytes(expected.bytes, this.buf, start, stop)) return expected;
    return INTERNER.name(this.buf, start, stop);
  }

  skip(wire: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT:
        return this.varint(end);
      case WIRE_I64:
        return this.#advance(8, end);
      case WIRE_LEN:
        this.pos = this.len(end);
        return;
      case WIRE_I32:
        return this.#advance(4, end);
      default:
        throw new DecodeError(`unsupported wire type ${wire} at offset ${this.pos}`);
    }
  }

  #advance(n: number, end: number): void {
    if (this.pos + n > end) throw truncated("fixed-width field");
    this.pos += n;
  }
}
