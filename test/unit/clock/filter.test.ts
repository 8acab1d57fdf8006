// The clock offset estimator (collector/src/clock/filter.ts): known offsets and delays, asymmetric paths,
// min-delay selection, stepped clocks, hostile exchanges.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ClockFilter, DEFAULT_FILTER, measure, type Exchange } from "../../../collector/src/clock/filter.ts";

const MS = 1_000_000n;
const T0 = 1_790_000_000_000n * MS;

/**
 * An exchange at collector time `at` for an agent whose clock is `offset` ahead, with one-way delays up and down
 * and the collector holding the request `hold`; stamps in whole ms as the real ones are (truncated).
 */
function exchange(at: bigint, offset: bigint, up: bigint, down: bigint, hold = 0n): Exchange {
  const trunc = (t: bigint) => (t / MS) * MS;
  const t1 = at + offset;
  const t2 = at + up;
  const t3 = t2 + hold;
  const t4 = t3 + down + offset;
  return { t1Ns: trunc(t1), t2Ns: trunc(t2), t3Ns: trunc(t3), t4Ns: trunc(t4) };
}

describe("clock filter", () => {
  it("a symmetric round trip gives the offset, and half the delay plus the stamps' precision as uncertainty", () => {
    const f = new ClockFilter();
    assert.equal(f.add(exchange(T0, 3000n * MS, 2n * MS, 2n * MS, 5n * MS), T0 + 10n * MS), undefined);
    // At t3 (the reply), before any drift allowance.
    const e = f.estimate(T0 + 7n * MS);
    assert.ok(e.known);
    assert.equal(e.offsetNs, 3000n * MS);
    assert.equal(e.delayNs, 4n * MS);
    assert.equal(e.uncertaintyNs, 3n * MS);
  });

  it("an asymmetric round trip is off by half the asymmetry, and its uncertainty covers the true offset", () => {
    const f = new ClockFilter();
    f.add(exchange(T0, -1500n * MS, 9n * MS, 1n * MS), T0 + 20n * MS);
    const e = f.estimate(T0 + 20n * MS);
    assert.ok(e.known);
    assert.equal(e.offsetNs, -1500n * MS - 4n * MS);
    assert.ok(e.uncertaintyNs >= 4n * MS);
  });

  it("follows the least-delay exchange of the last eight", () => {
    const f = new ClockFilter();
    const delays = [40n, 25n, 3n, 60n, 30n];
    delays.forEach((d, i) => f.add(exchange(T0 + BigInt(i) * 1000n * MS, 200n * MS, d * MS, 0n), T0 + BigInt(i) * 1000n * MS + 100n * MS));
    const e = f.estimate(T0 + 5000n * MS);
    assert.ok(e.known);
    assert.equal(e.delayNs, 3n * MS);
    assert.equal(e.samples, 5);
    // Eight more slow ones push the quick one out of the window.
    for (let i = 5; i < 13; i++) f.add(exchange(T0 + BigInt(i) * 1000n * MS, 200n * MS, 50n * MS, 0n), T0 + BigInt(i) * 1000n * MS + 100n * MS);
    const later = f.estimate(T0 + 13_000n * MS);
    assert.ok(later.known);
    assert.equal(later.delayNs, 50n * MS);
    assert.equal(later.samples, 8);
  });

  it("uncertainty grows with the chosen exchange's age by 15 ppm", () => {
    const f = new ClockFilter();
    f.add(exchange(T0, 0n, 1n * MS, 1n * MS), T0 + 2n * MS);
    const now = f.estimate(T0 + 2n * MS);
    const hourLater = f.estimate(T0 + 3_600_000n * MS);
    assert.ok(now.known && hourLater.known);
    assert.equal(hourLater.uncertaintyNs - now.uncertaintyNs, (3_600_000n * MS - 2n * MS) * 15n / 1_000_000n);
  });

  it("drops older exchanges when the clock was stepped (intervals that no longer overlap)", () => {
    const f = new ClockFilter();
    f.add(exchange(T0, 0n, 1n * MS, 1n * MS), T0 + 5n * MS);
    f.add(exchange(T0 + 1000n * MS, 5000n * MS, 20n * MS, 20n * MS), T0 + 1100n * MS);
    const e = f.estimate(T0 + 1100n * MS);
    assert.ok(e.known);
    assert.equal(e.offsetNs, 5000n * MS);
    assert.equal(e.samples, 1);
  });

  it("refuses hostile exchanges with a reason and keeps no estimate from them", () => {
    const now = T0 + 1000n * MS;
    const cases: Array<[Exchange, RegExp]> = [
      [{ t1Ns: 0n, t2Ns: T0, t3Ns: T0, t4Ns: T0 }, /four positive/],
      [{ t1Ns: -5n, t2Ns: T0, t3Ns: T0, t4Ns: T0 }, /four positive/],
      [{ t1Ns: T0 + 10n * MS, t2Ns: T0, t3Ns: T0, t4Ns: T0 }, /went back/],
      [{ t1Ns: T0, t2Ns: T0 + 5n * MS, t3Ns: T0, t4Ns: T0 + 9n * MS }, /t3 before t2/],
      [{ t1Ns: T0, t2Ns: T0, t3Ns: T0 + 100n * MS, t4Ns: T0 + 10n * MS }, /negative delay/],
      [{ t1Ns: T0, t2Ns: T0, t3Ns: T0, t4Ns: T0 + 20_000n * MS }, /too slow/],
      [{ t1Ns: T0 + 10n ** 17n, t2Ns: T0, t3Ns: T0, t4Ns: T0 + 10n ** 17n }, /not believed/],
      [{ t1Ns: T0, t2Ns: now + 5000n * MS, t3Ns: now + 5000n * MS, t4Ns: T0 }, /went back|future/],
      [{ t1Ns: T0, t2Ns: T0 + 10n * MS, t3Ns: T0 + 60_000n * MS, t4Ns: T0 + 60_020n * MS }, /future/],
      [{ t1Ns: T0 - 3n * 3_600_000n * MS, t2Ns: T0 - 3n * 3_600_000n * MS, t3Ns: T0 - 3n * 3_600_000n * MS, t4Ns: T0 - 3n * 3_600_000n * MS }, /older than/],
    ];
    const f = new ClockFilter();
    for (const [ex, reason] of cases) assert.match(f.add(ex, now) ?? "accepted", reason, JSON.stringify(ex, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    const e = f.estimate(now);
    assert.ok(!e.known);
    assert.match(e.reason, /no usable round trip yet \(last refused: /);
    assert.equal(f.refusals.count, cases.length);
  });

  it("property: for any offset and one-way delays, the true offset lies within the estimate's uncertainty", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -86_400_000n * MS, max: 86_400_000n * MS }),
        fc.array(fc.record({ up: fc.bigInt({ min: 0n, max: 3000n * MS }), down: fc.bigInt({ min: 0n, max: 3000n * MS }), hold: fc.bigInt({ min: 0n, max: 50n * MS }) }), { minLength: 1, maxLength: 12 }),
        (offset, trips) => {
          const f = new ClockFilter();
          trips.forEach((t, i) => assert.equal(f.add(exchange(T0 + BigInt(i) * 2000n * MS, offset, t.up, t.down, t.hold), T0 + BigInt(i) * 2000n * MS + 7000n * MS), undefined));
          const e = f.estimate(T0 + BigInt(trips.length) * 2000n * MS + 7000n * MS);
          assert.ok(e.known);
          const err = e.offsetNs - offset;
          assert.ok((err < 0n ? -err : err) <= e.uncertaintyNs, `error ${err} > uncertainty ${e.uncertaintyNs}`);
        },
      ),
    );
  });

  it("property: any four int64 stamps are accepted or refused with a reason, never thrown on", () => {
    const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    fc.assert(
      fc.property(i64, i64, i64, i64, i64, (t1Ns, t2Ns, t3Ns, t4Ns, now) => {
        const m = measure({ t1Ns, t2Ns, t3Ns, t4Ns }, now, DEFAULT_FILTER);
        if (!m.ok) assert.ok(m.reason.length > 0);
        else assert.ok(m.sample.hiNs >= m.sample.loNs);
        const f = new ClockFilter();
        f.add({ t1Ns, t2Ns, t3Ns, t4Ns }, now);
        const e = f.estimate(now);
        if (e.known) assert.ok(e.uncertaintyNs >= 0n);
      }),
    );
  });
});
