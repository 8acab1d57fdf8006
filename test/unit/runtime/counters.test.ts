import assert from "node:assert/strict";
import fc from "fast-check";
import { counterDelta, rate, type CounterBits } from "../../../agent/src/runtime/counters.ts";

const U32 = 1n << 32n;
const U64 = 1n << 64n;
const u32 = fc.bigInt({ min: 0n, max: U32 - 1n });
const u64 = fc.bigInt({ min: 0n, max: U64 - 1n });
const bits = fc.constantFrom<CounterBits>(32, 64);

describe("counterDelta", () => {
  it("table", () => {
    const cases: Array<[bigint, bigint, CounterBits, bigint, boolean]> = [
      [10n, 15n, 64, 5n, false],
      [7n, 7n, 32, 0n, false],
      [U32 - 10n, 5n, 32, 15n, false], // wrap
      [100n, 50n, 32, 0n, true], // a drop of 50 would mean ~2^32 increments: reset
      [U32 - 1n, 0n, 32, 1n, false],
      [2n ** 40n, 5n, 64, 0n, true], // 64-bit never wraps in practice
      [5n, U32, 32, 0n, true], // out of range for the width
      [-1n, 5n, 64, 0n, true],
    ];
    for (const [prev, cur, b, delta, reset] of cases) {
      assert.deepEqual(counterDelta(prev, cur, b), { delta, reset }, `${prev} -> ${cur} (${b})`);
    }
  });

  it("recovers any increase below 2^31 across a 32-bit wrap", () => {
    fc.assert(
      fc.property(u32, fc.bigInt({ min: 0n, max: (1n << 31n) - 1n }), (prev, inc) => {
        const cur = (prev + inc) % U32;
        assert.deepEqual(counterDelta(prev, cur, 32), { delta: inc, reset: false });
      }),
    );
  });

  it("delta is never negative and stays below 2^bits", () => {
    fc.assert(
      fc.property(bits, fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), (b, prev, cur) => {
        const { delta } = counterDelta(prev, cur, b);
        assert.ok(delta >= 0n && delta < (b === 32 ? U32 : U64));
      }),
    );
  });

  it("a reset never yields a spike: delta 0, and a 32-bit wrap claims less than half the range", () => {
    fc.assert(
      fc.property(bits, u64, u64, (b, prev, cur) => {
        const step = counterDelta(prev, cur, b);
        if (step.reset) assert.equal(step.delta, 0n);
        if (cur < prev && !step.reset) assert.ok(b === 32 && step.delta < 1n << 31n);
      }),
    );
  });

  it("64-bit: any drop is a reset", () => {
    fc.assert(
      fc.property(u64, u64, (a, b) => {
        fc.pre(a !== b);
        const [hi, lo] = a > b ? [a, b] : [b, a];
        assert.deepEqual(counterDelta(hi, lo, 64), { delta: 0n, reset: true });
      }),
    );
  });
});

describe("rate", () => {
  it("table", () => {
    assert.equal(rate(1000n, 1_000_000_000n), 1000);
    assert.equal(rate(5n, 500_000_000n), 10);
    assert.equal(rate(1n, 0n), undefined);
    assert.equal(rate(1n, -5n), undefined);
    assert.equal(rate(-1n, 1_000_000_000n), undefined);
  });

  it("is never NaN or Infinity", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), (delta, dt) => {
        const r = rate(delta, dt);
        if (r !== undefined) assert.ok(Number.isFinite(r) && r >= 0);
        if (dt <= 0n) assert.equal(r, undefined);
      }),
    );
  });
});
