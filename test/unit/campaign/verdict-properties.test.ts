import assert from "node:assert/strict";
import fc from "fast-check";
import { summarize } from "../../../collector/src/campaign/stats.ts";
import { cellVerdict } from "../../../collector/src/campaign/verdict.ts";

const S = (xs: number[]) => summarize(xs, 0.95);
const reps = fc.array(fc.double({ min: 1e8, max: 5e10, noNaN: true }), { minLength: 2, maxLength: 8 });

describe("cellVerdict properties", () => {
  it("same only with the whole interval inside ±min_delta_pct; better/worse only when significant and practical", () => {
    fc.assert(
      fc.property(reps, reps, fc.double({ min: 0.5, max: 20, noNaN: true }), (a, b, m) => {
        const v = cellVerdict(S(a), S(b), { min_delta_pct: m });
        if (v.verdict === "same") assert.ok(v.interval_pct !== null && v.interval_pct.low > -m && v.interval_pct.high < m, JSON.stringify(v));
        if (v.verdict === "better" || v.verdict === "worse") assert.ok(v.p_value! < 0.05 && Math.abs(v.delta_pct!) >= m, JSON.stringify(v));
        if (v.verdict === "inconclusive" && v.interval_pct !== null && v.p_value! >= 0.05) assert.ok(v.interval_pct.low <= -m || v.interval_pct.high >= m);
        assert.doesNotMatch(v.reason, /NaN|Infinity|\de\+\d/);
      }),
      { numRuns: 300 },
    );
  });
});
