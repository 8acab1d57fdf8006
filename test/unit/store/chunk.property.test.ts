// The compact chunk codec (collector/src/store/embedded/chunk.ts): every column kind gives back each value with its
// type, every time, in order; bytes it did not write are refused with an error, never a crash or a wrong answer.
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import type { FieldValue } from "@eastwest/common";
import { isTyped } from "../../../collector/src/store/columns.ts";
import { decodeChunk, decodeChunkTyped, encodeChunk, type Chunk } from "../../../collector/src/store/embedded/chunk.ts";

const S = 1_000_000_000n;
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** Ascending times: a start anywhere in int64's lower half and steps from 0 (ties) to hours, jittered or steady. */
const times = (n: number) =>
  fc.tuple(fc.bigInt({ min: INT64.min / 2n, max: INT64.max / 2n }), fc.array(fc.oneof(fc.constant(S), fc.bigInt({ min: 0n, max: 3600n * S })), { minLength: n, maxLength: n })).map(([t0, steps]) => {
    let t = t0;
    return steps.map((d) => (t += d));
  });

const value: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.bigInt(INT64),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.boolean(),
);

/** A column all of one kind (the usual case) or mixed. */
const column = (n: number): fc.Arbitrary<FieldValue[]> =>
  fc.oneof(
    fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { minLength: n, maxLength: n })).map(([v0, inc]) => {
      let v = v0;
      return inc.map((d) => (v += d));
    }),
    fc.array(fc.bigInt(INT64), { minLength: n, maxLength: n }),
    fc.array(fc.bigInt({ min: -(2n ** 51n), max: 2n ** 51n }), { minLength: n, maxLength: n }),
    fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(0, -0, 1.5, 12.25, 99.999), { minLength: n, maxLength: n }),
    fc.tuple(fc.integer({ min: 0, max: 8 }), fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: n, maxLength: n })).map(([k, ms]) => ms.map((m) => m / 10 ** k)),
    fc.array(value, { minLength: n, maxLength: n }),
  );

const chunk: fc.Arbitrary<Chunk> = fc.integer({ min: 0, max: 80 }).chain((n) => fc.record({ times: times(n), columns: fc.array(column(n), { maxLength: 6 }) }));

/** Equal with type: 1n is not 1, -0 is not 0. */
function same(a: FieldValue, b: FieldValue): boolean {
  return typeof a === typeof b && (typeof a === "number" ? Object.is(a, b) : a === b);
}

describe("store chunk codec", () => {
  it("gives back every time and every value with its type", () => {
    fc.assert(
      fc.property(chunk, (c) => {
        const back = decodeChunk(encodeChunk(c));
        assert.deepEqual(back.times, c.times);
        assert.equal(back.columns.length, c.columns.length);
        c.columns.forEach((col, j) => col.forEach((v, i) => assert.ok(same(back.columns[j]?.[i] as FieldValue, v), `column ${j} row ${i}: ${String(back.columns[j]?.[i])} for ${String(v)}`)));
      }),
      { numRuns: 400 },
    );
  });

  it("typed decoding gives the same values: integers and floats in Float64Arrays, the rest as decodeChunk has them", () => {
    fc.assert(
      fc.property(chunk, (c) => {
        const bytes = encodeChunk(c);
        const plain = decodeChunk(bytes);
        const typed = decodeChunkTyped(bytes);
        assert.deepEqual(typed.times, plain.times);
        typed.columns.forEach((col, j) => {
          const want = plain.columns[j] as FieldValue[];
          if (!isTyped(col)) return assert.deepEqual(col, want);
          assert.equal(col.values.length, want.length);
          want.forEach((v, i) => assert.ok(same(col.kind === "int" ? BigInt(col.values[i] as number) : (col.values[i] as number), v), `column ${j} row ${i}: ${col.values[i]} for ${String(v)}`));
        });
      }),
      { numRuns: 400 },
    );
  });

  it("typed decoding of bytes it did not write: the same answer as decodeChunk, or an error", () => {
    const good = encodeChunk({ times: [1n, 2n, 3n, 4n], columns: [[1n, 2n, 4n, 8n], [1.5, 2.5, 3.5, 0.25], [0.1, 0.2, 0.3, 0.4]] });
    fc.assert(
      fc.property(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), ([k, x]) => {
        const b = Uint8Array.from(good);
        b[k] = (b[k] as number) ^ x;
        let typed;
        try {
          typed = decodeChunkTyped(b);
        } catch (err) {
          return assert.ok(err instanceof Error, String(err));
        }
        const plain = decodeChunk(b);
        typed.columns.forEach((col, j) => {
          const want = plain.columns[j] as FieldValue[];
          if (isTyped(col)) want.forEach((v, i) => assert.equal(col.kind === "int" ? BigInt(col.values[i] as number) : col.values[i], v));
        });
      }),
      { numRuns: 2000 },
    );
  });

  it("decimal floats take what their integers take: 2-place shares, not 9 bytes each", () => {
    const n = 300;
    const times = Array.from({ length: n }, (_, i) => BigInt(i) * S);
    const shares = Array.from({ length: n }, (_, i) => Math.round(5000 + 300 * Math.sin(i / 7)) / 100);
    const full = shares.map((v) => v + 1e-9);
    const size = (col: FieldValue[]) => encodeChunk({ times, columns: [col] }).length - encodeChunk({ times, columns: [] }).length;
    assert.ok(size(shares) < n * 2, `${size(shares)} B for ${n} shares of 2 places`);
    assert.ok(size(shares) * 2 < size(full), `2 places ${size(shares)} B, full precision ${size(full)} B`);
  });

  it("decodes only the columns asked for, skipping the others by their length", () => {
    fc.assert(
      fc.property(chunk, fc.func(fc.boolean()), (c, pick) => {
        const want = (j: number) => pick(j) as boolean;
        const back = decodeChunk(encodeChunk(c), want);
        assert.deepEqual(back.times, c.times);
        c.columns.forEach((col, j) => {
          if (!want(j)) assert.deepEqual(back.columns[j], []);
          else col.forEach((v, i) => assert.ok(same(back.columns[j]?.[i] as FieldValue, v), `column ${j} row ${i}`));
        });
      }),
      { numRuns: 200 },
    );
  });

  it("a steady 1 Hz counter takes under a byte per value", () => {
    const n = 300;
    const t0 = 1_800_000_000n * S;
    const c: Chunk = { times: Array.from({ length: n }, (_, i) => t0 + BigInt(i) * S), columns: [Array.from({ length: n }, (_, i) => 123_456_789n + BigInt(i) * 1500n)] };
    const bytes = encodeChunk(c).length;
    assert.ok(bytes < n, `${bytes} B for ${n} points`);
  });

  it("gives back times and integers whose steps leave a float's exact range (the reader's BigInt path)", () => {
    const far = 2n ** 52n;
    const times = [-(2n ** 62n), -(2n ** 62n) + 1n, -1n, 0n, far, far + 1n, 2n ** 62n, 2n ** 63n - 1n];
    const bigs = [2n ** 63n - 1n, -(2n ** 63n), 0n, 5n, -5n, far * 3n, 1n, 2n];
    const ints = [0n, 2n ** 50n, -(2n ** 50n), 2n ** 50n, 7n, 7n, 7n, -(2n ** 50n)];
    const back = decodeChunk(encodeChunk({ times, columns: [bigs, ints] }));
    assert.deepEqual(back, { times, columns: [bigs, ints] });
  });

  it("refuses a value the store cannot hold and a column of the wrong length", () => {
    assert.throws(() => encodeChunk({ times: [1n], columns: [[Number.NaN]] }), /cannot be stored/);
    assert.throws(() => encodeChunk({ times: [1n, 2n], columns: [[1n]] }), /a column of 1 values for 2 times/);
  });

  it("refuses bytes it did not write: random, truncated, flipped", () => {
    const good = encodeChunk({ times: [1n, 2n, 3n], columns: [[1n, 2n, 3n], [1.5, 2.5, 3.5], ["a", true, 1n]] });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => deflateRawSync(b)), fc.nat(good.length - 1).map((k) => good.subarray(0, k)), fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([k, x]) => {
        const b = Uint8Array.from(good);
        b[k] = (b[k] as number) ^ x;
        return b;
      })), (bytes) => {
        try {
          const c = decodeChunk(bytes);
          // what decodes must be self-consistent: every column as long as the times
          for (const col of c.columns) assert.equal(col.length, c.times.length);
        } catch (err) {
          assert.ok(err instanceof Error, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
