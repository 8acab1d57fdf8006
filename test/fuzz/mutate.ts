// Byte-level mutation of protobuf frames, shared by the decoder agreement property test
// (unit/wire/agreement.test.ts) and the fuzzer (run.ts). Deterministic for a given random source, so a failing
// case is reproduced from its seed.

/** Uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32: a small seeded generator, enough for fuzzing (not for anything secret). */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)] as T;

/** Bytes that mean something to a protobuf reader: field 0, group tags, wire types 6/7, continuation bits, a 10-byte varint. */
const SPECIAL: readonly (readonly number[])[] = [
  [0x00],
  [0x80],
  [0xff],
  [0x0b],
  [0x0c],
  [0x0e],
  [0x0f],
  [0x08, 0x00],
  [0x12, 0x00],
  [0x1a, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
];

type Mutation = (b: Buffer, rng: Rng, other: Buffer) => Buffer;

const MUTATIONS: readonly Mutation[] = [
  // flip one byte
  (b, rng) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[int(rng, c.length)] = int(rng, 256);
    return c;
  },
  // flip one bit
  (b, rng) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    const i = int(rng, c.length);
    c[i] = (c[i] as number) ^ (1 << int(rng, 8));
    return c;
  },
  // insert special bytes
  (b, rng) => {
    const at = int(rng, b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(pick(rng, SPECIAL)), b.subarray(at)]);
  },
  // overwrite with special bytes
  (b, rng) => {
    const s = pick(rng, SPECIAL);
    const c = Buffer.from(b);
    const at = int(rng, Math.max(1, c.length));
    for (let i = 0; i < s.length && at + i < c.length; i++) c[at + i] = s[i] as number;
    return c;
  },
  // delete a range
  (b, rng) => {
    const at = int(rng, b.length + 1);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(rng, 8))]);
  },
  // duplicate a range elsewhere
  (b, rng) => {
    const from = int(rng, b.length + 1);
    const piece = b.subarray(from, from + 1 + int(rng, 24));
    const at = int(rng, b.length + 1);
    return Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
  },
  // truncate
  (b, rng) => b.subarray(0, int(rng, b.length + 1)),
  // splice a piece of another frame in
  (b, rng, other) => {
    const from = int(rng, other.length + 1);
    const piece = other.subarray(from, from + 1 + int(rng, 64));
    const at = int(rng, b.length + 1);
    return Buffer.concat([b.subarray(0, at), piece, b.subarray(at + int(rng, 8))]);
  },
  // append another frame whole (two messages in one frame)
  (b, _rng, other) => Buffer.concat([b, other]),
];

/** 1 to `max` random mutations of b; `other` is a second frame to take pieces from. */
export function mutate(b: Buffer, rng: Rng, other: Buffer = b, max = 4): Buffer {
  let out = b;
  const n = 1 + int(rng, max);
  for (let i = 0; i < n; i++) out = pick(rng, MUTATIONS)(out, rng, other);
  return out;
}
