import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelayMs, RetryTimer } from "../../../common/src/backoff.ts";

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

describe("RetryTimer", () => {
  const fixed = { minMs: 10, maxMs: 40, random: () => 0.999999 };

  it("waits longer per attempt up to max, and from the start again after reset()", () => {
    const t = new RetryTimer(fixed);
    const delays = [0, 1, 2, 3].map(() => t.schedule(() => undefined));
    assert.deepEqual(delays, [10, 20, 40, 40]);
    t.reset();
    assert.equal(t.schedule(() => undefined), 10);
    t.cancel();
  });

  it("runs every scheduled function once, overlapping ones included", async () => {
    const t = new RetryTimer({ minMs: 1, maxMs: 2 });
    const ran: string[] = [];
    await new Promise<void>((resolve) => {
      t.schedule(() => ran.push("connect"));
      t.schedule(() => {
        ran.push("publish");
        setTimeout(resolve, 10);
      });
    });
    assert.deepEqual(ran.sort(), ["connect", "publish"]);
    t.cancel();
  });

  it("cancel() clears pending timers and refuses new ones; safe twice and with nothing scheduled", async () => {
    const idle = new RetryTimer(fixed);
    idle.cancel();
    idle.cancel();
    const t = new RetryTimer({ minMs: 1, maxMs: 1 });
    let ran = 0;
    t.schedule(() => ran++);
    t.cancel();
    assert.equal(t.schedule(() => ran++), undefined);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ran, 0);
  });
});
