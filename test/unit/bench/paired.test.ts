import assert from "node:assert/strict";
import { differences, judge, meanDifference, trimmedDifference, type Pair } from "../../bench/paired.ts";

const pairsOf = (diffsPct: readonly number[]): Pair[] => diffsPct.map((d) => ({ none: 100, agents: 100 + d }));

describe("bench: paired differences", () => {
  it("differences are in % of each pair's none", () => {
    assert.deepEqual(differences([{ none: 200, agents: 190 }, { none: 50, agents: 51 }]), [-5, 2]);
  });

  it("the trimmed mean drops the 20 % at each end; its SE comes from the winsorized sample", () => {
    // 10 pairs: g = 2 at each end. Kept: -2, -1, 0, 1, 2, 3 -> mean 0.5.
    const d = [-40, -3, -2, -1, 0, 1, 2, 3, 4, 30];
    const e = trimmedDifference(pairsOf(d));
    assert.ok(Math.abs(e.pct - 0.5) < 1e-9, `trimmed mean ${e.pct}`);
    // Winsorized: -2, -2, -2, -1, 0, 1, 2, 3, 3, 3 (mean 0.5); SE = sd / (0.6 * sqrt(10)).
    const w = [-2, -2, -2, -1, 0, 1, 2, 3, 3, 3];
    const m = w.reduce((a, b) => a + b, 0) / w.length;
    const sdW = Math.sqrt(w.reduce((a, x) => a + (x - m) ** 2, 0) / (w.length - 1));
    assert.ok(Math.abs(e.sePct - sdW / (0.6 * Math.sqrt(10))) < 1e-9, `SE ${e.sePct}`);
    // The plain mean is pulled by the two outliers and its SE is several times larger.
    const plain = meanDifference(pairsOf(d));
    assert.ok(Math.abs(plain.pct - -0.6) < 1e-9);
    assert.ok(plain.sePct > 3 * e.sePct, `plain SE ${plain.sePct} vs trimmed ${e.sePct}`);
  });

  it("trim 0 is the plain mean and SE; too few pairs give NaN, a bad trim throws", () => {
    const d = [-1.5, 0.25, 2, -0.75, 1];
    const a = trimmedDifference(pairsOf(d), 0);
    const b = meanDifference(pairsOf(d));
    assert.ok(Math.abs(a.pct - b.pct) < 1e-12 && Math.abs(a.sePct - b.sePct) < 1e-12);
    assert.ok(Number.isNaN(trimmedDifference([]).pct));
    assert.ok(Number.isNaN(trimmedDifference(pairsOf([1])).sePct));
    assert.throws(() => trimmedDifference(pairsOf(d), 0.5), /trim: expected \[0, 0.5\)/);
  });

  it("judges ok only when pct ± 2 SE is inside the limit, MISS only when wholly outside", () => {
    assert.equal(judge({ pct: -0.3, sePct: 0.3 }, 1), "ok");
    assert.equal(judge({ pct: -0.3, sePct: 0.4 }, 1), "not resolved", "-0.3 - 0.8 reaches past -1");
    assert.equal(judge({ pct: -2.5, sePct: 0.7 }, 1), "MISS");
    assert.equal(judge({ pct: -2.5, sePct: 0.8 }, 1), "not resolved", "-2.5 + 1.6 is inside");
    assert.equal(judge({ pct: 0, sePct: Number.NaN }, 1), "not resolved", "no SE: cannot tell");
  });
});
