import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelayMs } from "../../../common/src/backoff.ts";

describe("backoffDelayMs", () => {
  it("stays within [min/2, min(max, min * 2^attempt)] for any attempt and random draw", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, minMs, extra, r) => {
          const maxMs = minMs + extra;
          const d = backoffDelayMs(attempt, minMs, maxMs, () => r);
          const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
          assert.ok(Number.isFinite(d), "finite");
          assert.ok(d >= minMs / 2, `${d} >= ${minMs / 2}`);
          assert.ok(d <= ceiling, `${d} <= ${ceiling}`);
        },
      ),
    );
  });

  it("doubles the ceiling per attempt up to max", () => {
    const top = (attempt: number): number => backoffDelayMs(attempt, 100, 1000, () => 0.999999);
    assert.deepEqual([0, 1, 2, 3, 4, 50].map(top), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(backoffDelayMs(3, 100, 1000, () => 0), 50, "never below min/2");
  });
});
