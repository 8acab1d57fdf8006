// Protobuf writing primitives for the fast batch encoder (encode.ts): varints below 2^53 as numbers, 64-bit
// integers from bigint, and a growable buffer whose length-delimited bodies get their length patched in after
// them. Out-of-range int64 values throw the error ts-proto throws, so callers cannot tell the two apart.
import { I64_MAX, I64_MIN } from "./keys.ts";

export const EMPTY = Buffer.alloc(0);

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size;
}

/** A varint below 2^53 into `buf` at `pos`; returns the position after it. */
export function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Copies a short byte string into `buf` at `pos` (a loop: for names and tag entries, set() costs more than the copy). */
export function putBytes(buf: Buffer, pos: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) buf[pos++] = b[i] as number;
  return pos;
}

/** A length-delimited field, whole: key, length, bytes. */
export function delimited(key: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  out[0] = key;
  body.copy(out, putVarint(out, 1, body.length));
  return out;
}

/** A growable buffer; points and the batch get their length patched in after their body. */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned integer below 2^53. */
  varint(n: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  /** An unsigned integer below 2^64. */
  bigVarint(v: bigint): void {
    const n = Number(v);
    if (n <= Number.MAX_SAFE_INTEGER) return this.varint(n);
    // why: in two 32-bit halves, as bigint arithmetic per 7 bits is slow (time stamps are all this large).
    let lo = Number(v & 0xffffffffn);
    let hi = Number(v >> 32n);
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0 || lo >= 128) {
      buf[pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** int64 (a negative value as its 64-bit two's complement), or the error ts-proto throws. */
  int64(v: bigint, what: string): void {
    if (v < I64_MIN || v > I64_MAX) throw new Error(`value provided for field ${what} of type int64 too large`);
    this.bigVarint(v < 0n ? BigInt.asUintN(64, v) : v);
  }

  double(x: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos = putBytes(this.buf, this.pos, b);
  }

  /** Starts a length-delimited body after `key`, reserving `guess` bytes for its length; returns where. */
  open(key: number, guess: number): number {
    this.byte(key);
    this.ensure(guess);
    const at = this.pos;
    this.pos += guess;
    return at;
  }

  /** Ends the body opened at `at`: writes its length there, moving the body when the guess was wrong. */
  close(at: number, guess: number): void {
    const length = this.pos - at - guess;
    const size = varintSize(length);
    if (size !== guess) {
      this.ensure(size - guess);
      this.buf.copyWithin(at + size, at + guess, this.pos);
      this.pos += size - guess;
    }
    putVarint(this.buf, at, length);
  }

  /** The bytes written, copied (gRPC may still hold them while the next batch is encoded). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}
