import assert from "node:assert/strict";
import fc from "fast-check";
import { needMore, repetitionStatus, summarize, welch, type Welch } from "../../../collector/src/campaign/stats.ts";
import { tCdf, tQuantile, tTwoSided } from "../../../collector/src/campaign/tdist.ts";
import type { Repetitions } from "../../../collector/src/campaign/types.ts";

function close(actual: number | null | undefined, expected: number, tol = 1e-6): void {
  assert.ok(typeof actual === "number" && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} !~ ${expected}`);
}

describe("t distribution", () => {
  // Reference values: scipy.stats.t.ppf.
  const table: Array<[number, number, number]> = [
    [0.975, 1, 12.706204736174694],
    [0.975, 2, 4.302652729749462],
    [0.975, 4, 2.7764451051977934],
    [0.975, 9, 2.262157162798205],
    [0.975, 30, 2.0422724563012378],
    [0.995, 10, 3.16927267261695],
    [0.9, 5, 1.4758840488244815],
    [0.975, 4.5, 2.6589123472044034],
    [0.975, 24.9, 2.0599580324598343],
  ];
  for (const [p, df, t] of table) it(`t(${p}, ${df}) = ${t.toFixed(3)}`, () => close(tQuantile(p, df), t, 1e-9));

  it("approaches the normal quantile for large df; symmetric; the CDF inverts the quantile", () => {
    close(tQuantile(0.975, 1e9), 1.959963984540054, 1e-6);
    close(tQuantile(0.025, 7), -tQuantile(0.975, 7), 1e-12);
    assert.equal(tQuantile(0.5, 3), 0);
    close(tCdf(2.7764451051977934, 4), 0.975, 1e-10);
    close(tTwoSided(2.262157162798205, 9), 0.05, 1e-10);
    assert.throws(() => tQuantile(1, 3), RangeError);
    assert.throws(() => tQuantile(0.9, 0), RangeError);
  });
});

describe("summarize", () => {
  it("[10, 12, 14]: mean 12, sd 2, 95 % half-width 4.303 x 2 / sqrt 3 = 4.97", () => {
    const s = summarize([10, 12, 14], 0.95);
    assert.equal(s.n, 3);
    assert.equal(s.mean, 12);
    assert.equal(s.median, 12);
    close(s.stddev, 2, 1e-12);
    close(s.half_width, (4.302652729749462 * 2) / Math.sqrt(3), 1e-9);
    close(s.half_width, 4.968, 1e-3);
    close(s.ci_low, 12 - 4.968275, 1e-6);
    close(s.ci_high, 12 + 4.968275, 1e-6);
    close(s.half_width_pct, 41.4023, 1e-5);
    assert.deepEqual(s.outliers, []);
    assert.deepEqual(s.notes, ["n < 4: outliers not checked"]);
  });

  it("Tukey outliers beyond 1.5 IQR of the quartiles", () => {
    assert.deepEqual(summarize([1, 2, 3, 4, 100], 0.95).outliers, [100]);
    assert.deepEqual(summarize([41, 40.8, 41.2, 41.1, 7, 40.9], 0.95).outliers, [7]);
    assert.deepEqual(summarize([10, 11, 12, 13], 0.95).outliers, []);
  });

  it("n = 0 and n = 1: null figures with the reason, never NaN", () => {
    const none = summarize([], 0.95);
    assert.equal(none.mean, null);
    assert.deepEqual(none.notes, ["no samples"]);
    const one = summarize([41e9], 0.95);
    assert.equal(one.mean, 41e9);
    assert.equal(one.median, 41e9);
    assert.equal(one.stddev, null);
    assert.equal(one.ci_low, null);
    assert.equal(one.half_width_pct, null);
    assert.ok(one.notes.includes("n < 2: no standard deviation or interval"));
  });

  it("drops non-finite samples and says so; constant samples have a zero-width interval; mean 0 has no relative width", () => {
    const s = summarize([5, Number.NaN, 5, Number.POSITIVE_INFINITY, 5], 0.95);
    assert.equal(s.n, 3);
    assert.equal(s.half_width, 0);
    assert.equal(s.half_width_pct, 0);
    assert.ok(s.notes.includes("2 non-finite sample(s) ignored"));
    const z = summarize([-1, 1], 0.95);
    assert.equal(z.half_width_pct, null);
    assert.ok(z.notes.includes("mean is 0: no relative half-width"));
    assert.throws(() => summarize([1, 2], 1), RangeError);
  });
});

describe("summarize: properties", () => {
  const throughput = fc.double({ min: 0, max: 1e12, noNaN: true });

  it("the interval contains the mean and the median lies between min and max; every number finite", () => {
    fc.assert(
      fc.property(fc.array(throughput, { minLength: 1, maxLength: 40 }), fc.double({ min: 0.5, max: 0.999, noNaN: true }), (xs, c) => {
        const s = summarize(xs, c);
        for (const v of [s.mean, s.median, s.stddev, s.ci_low, s.ci_high, s.half_width, s.half_width_pct, ...s.outliers]) assert.ok(v === null || Number.isFinite(v));
        assert.ok(s.median! >= Math.min(...xs) && s.median! <= Math.max(...xs));
        if (s.ci_low !== null) assert.ok(s.ci_low <= s.mean! && s.mean! <= s.ci_high!);
        assert.equal(s.ci_low === null, xs.length < 2);
      }),
    );
  });

  it("for the same spread the half-width shrinks as n grows", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e11, noNaN: true }), fc.double({ min: 1e-3, max: 0.5, noNaN: true }), fc.integer({ min: 1, max: 20 }), (mean, rel, k) => {
        const pattern = (pairs: number) => Array.from({ length: pairs }, () => [mean * (1 - rel), mean * (1 + rel)]).flat();
        const a = summarize(pattern(k), 0.95);
        const b = summarize(pattern(k + 1), 0.95);
        assert.ok(b.half_width! < a.half_width!, `${b.half_width} !< ${a.half_width}`);
      }),
    );
  });

  it("the relative half-width does not depend on the unit", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 20 }), (xs) => {
        const a = summarize(xs, 0.95).half_width_pct!;
        const b = summarize(xs.map((x) => x * 1e3), 0.95).half_width_pct!;
        assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, a));
      }),
    );
  });
});

describe("repetitions", () => {
  const rep: Repetitions = { min: 3, max: 10, ci_target_pct: 2, confidence: 0.95 };

  it("repeats below min, while the interval is wider than the target, and stops at max", () => {
    assert.equal(needMore([], rep), true);
    assert.equal(needMore([100, 100], rep), true);
    assert.equal(repetitionStatus([100, 101, 99], rep).reason, "half-width 2.48 % > target 2 %");
    assert.equal(needMore([100, 100.1, 99.9], rep), false);
    const noisy = [100, 80, 120, 90, 110, 70, 130, 95, 105, 85];
    assert.equal(needMore(noisy.slice(0, 9), rep), true);
    const last = repetitionStatus(noisy, rep);
    assert.equal(last.more, false);
    assert.match(last.reason, /^n 10 reached max 10 with half-width \d+\.\d\d % \(target 2 %\)$/);
  });

  it("an undefined interval (n = 1 with min 1) asks for more until max", () => {
    const one: Repetitions = { ...rep, min: 1, max: 2 };
    assert.equal(needMore([5], one), true);
    assert.equal(needMore([5, 5], one), false);
  });
});

describe("welch", () => {
  it("matches scipy's ttest_ind(equal_var=False)", () => {
    const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const w = welch(summarize(a, 0.95), summarize(b, 0.95), 0.05) as Welch;
    close(w.t, 2.455356398286006, 1e-9);
    close(w.df, 24.988529290231416, 1e-9);
    close(w.p_value, 0.021378001462866992, 1e-7);
    assert.ok(w.ci_low > 0 && w.ci_low < w.diff && w.diff < w.ci_high);
  });

  it("zero variance on both sides, and too few samples", () => {
    const s = (xs: number[]) => summarize(xs, 0.95);
    assert.deepEqual(welch(s([5, 5]), s([5, 5, 5]), 0.05), { diff: 0, se: 0, df: null, t: null, p_value: 1, ci_low: 0, ci_high: 0 });
    assert.equal((welch(s([5, 5]), s([6, 6]), 0.05) as Welch).p_value, 0);
    assert.deepEqual(welch(s([5]), s([6, 6]), 0.05), { reason: "need n >= 2 on both sides (have 1 and 2)" });
  });
});
