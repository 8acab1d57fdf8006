import assert from "node:assert/strict";
import { differences, judge, meanDifference, perStack, type Pair } from "../../bench/paired.ts";

const pairsOf = (diffsPct: readonly number[]): Pair[] => diffsPct.map((d) => ({ none: 100, agents: 100 + d }));

describe("bench: paired differences", () => {
  it("differences are in % of each pair's none", () => {
    assert.deepEqual(differences([{ none: 200, agents: 190 }, { none: 50, agents: 51 }]), [-5, 2]);
  });

  it("the mean of the differences and its standard error", () => {
    const d = [-1.5, 0.25, 2, -0.75, 1];
    const e = meanDifference(pairsOf(d));
    const m = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / (d.length - 1));
    assert.ok(Math.abs(e.pct - m) < 1e-9 && Math.abs(e.pct - 0.2) < 1e-9, `mean ${e.pct}`);
    assert.ok(Math.abs(e.sePct - sd / Math.sqrt(5)) < 1e-9, `SE ${e.sePct}`);
    assert.ok(Number.isNaN(meanDifference(pairsOf([1])).sePct), "one pair: no SE");
  });

  it("judges ok only when pct ± 2 SE is inside the limit, MISS only when wholly outside", () => {
    assert.equal(judge({ pct: -0.3, sePct: 0.3 }, 1), "ok");
    assert.equal(judge({ pct: -0.3, sePct: 0.4 }, 1), "not resolved", "-0.3 - 0.8 reaches past -1");
    assert.equal(judge({ pct: -2.5, sePct: 0.7 }, 1), "MISS");
    assert.equal(judge({ pct: -2.5, sePct: 0.8 }, 1), "not resolved", "-2.5 + 1.6 is inside");
    assert.equal(judge({ pct: 0, sePct: Number.NaN }, 1), "not resolved", "no SE: cannot tell");
  });

  it("per stack: N stacks' difference and SE divided by N, judged as one stack", () => {
    const three = meanDifference(pairsOf([-2.4, -0.6, -1.8, -1.2]));
    const one = perStack(three, 3);
    assert.ok(Math.abs(one.pct - three.pct / 3) < 1e-12 && Math.abs(one.pct + 0.5) < 1e-9, `pct ${one.pct}`);
    assert.ok(Math.abs(one.sePct - three.sePct / 3) < 1e-12, `SE ${one.sePct}`);
    assert.equal(judge(three, 1), "not resolved");
    assert.equal(judge(one, 1), "ok");
    assert.deepEqual(perStack({ pct: -1, sePct: 0.5 }, 1), { pct: -1, sePct: 0.5 });
    assert.throws(() => perStack(three, 0), /whole number >= 1/);
    assert.throws(() => perStack(three, 1.5), /whole number >= 1/);
  });
});
