import assert from "node:assert/strict";
import { expandCells } from "../../../collector/src/campaign/matrix.ts";
import { parseCampaignSpec } from "../../../collector/src/campaign/spec.ts";
import { summarize } from "../../../collector/src/campaign/stats.ts";
import type { CampaignResult, CellResult, DirectionPair } from "../../../collector/src/campaign/types.ts";
import { baselineVerdicts, campaignVerdict, cellVerdict, imbalance } from "../../../collector/src/campaign/verdict.ts";
import { around, fixture, manifest } from "./helpers.ts";

const G = 1e9;
const S = (xs: number[]) => summarize(xs, 0.95);
const pair = (f: number[], r: number[]): DirectionPair => ({ forward: S(f), reverse: S(r) });

describe("cellVerdict", () => {
  it("clearly worse: checksum offload off, 41 -> 7 Gbit/s", () => {
    const v = cellVerdict(S(around(41 * G, 1, 5)), S(around(7 * G, 2, 5)));
    assert.equal(v.verdict, "worse");
    assert.equal(v.throughput_verdict, "worse");
    assert.ok(Math.abs(v.delta_pct! - (-82.93)) < 0.01, String(v.delta_pct));
    assert.ok(v.p_value! < 1e-6);
    assert.ok(v.test!.ci_high < 0 && v.test!.ci_low < v.test!.diff);
    assert.match(v.reason, /^worse: 41\.0 Gbit\/s -> 7\.00 Gbit\/s \(-82\.9 %\), p = .+, 95 % CI of the difference \[-8\d\.\d %, -8\d\.\d %\]$/);
    assert.doesNotMatch(v.reason, /\de\+\d/);
  });

  it("clearly better, and lower-is-better metrics flip it", () => {
    assert.equal(cellVerdict(S(around(34 * G, 1, 5)), S(around(41 * G, 1, 5))).verdict, "better");
    assert.equal(cellVerdict(S(around(34, 1, 5)), S(around(41, 1, 5)), { higher_is_better: false }).verdict, "worse");
  });

  it("noisy: a 2.4 % move inside ±10 % noise is inconclusive, not the same (its interval misses the 3 % target)", () => {
    const v = cellVerdict(S(around(41 * G, 10, 5)), S(around(40 * G, 10, 5)));
    assert.equal(v.verdict, "inconclusive");
    assert.equal(v.throughput_verdict, "inconclusive");
    assert.ok(v.p_value! > 0.05);
    assert.ok(v.interval_pct!.low < -3 && v.interval_pct!.high > 3, JSON.stringify(v.interval_pct));
    assert.match(v.reason, /^inconclusive: 41\.0 Gbit\/s -> 40\.0 Gbit\/s \(-2\.4 %\), the interval reaches beyond ±3 %: it cannot tell a change of 3 % from none/);
    assert.equal(cellVerdict(S(around(41 * G, 10, 5)), S(around(40 * G, 10, 5)), { min_delta_pct: 50 }).verdict, "same");
  });

  it("same only when the whole interval of the difference lies within ±min_delta_pct", () => {
    const v = cellVerdict(S(around(41 * G, 1, 5)), S(around(41 * G, 1, 5)));
    assert.equal(v.verdict, "same");
    assert.ok(v.interval_pct!.low > -3 && v.interval_pct!.high < 3);
    assert.equal(v.interval_pct!.threshold, 3);
    assert.match(v.reason, /^same: .*the interval lies within ±3 % \(p = /);
  });

  it("significant but a 2.5 % move whose interval reaches past 3 % is inconclusive", () => {
    const v = cellVerdict(S(around(40 * G, 2, 10)), S(around(39 * G, 2, 10)));
    assert.ok(v.p_value! < 0.05, String(v.p_value));
    assert.ok(v.interval_pct!.low < -3, JSON.stringify(v.interval_pct));
    assert.equal(v.verdict, "inconclusive");
  });

  it("too few repetitions (below the spec's minimum) is inconclusive whatever the means", () => {
    const v = cellVerdict(S(around(41 * G, 1, 3)), S(around(7 * G, 1, 3)), { min_n: 5 });
    assert.equal(v.verdict, "inconclusive");
    assert.match(v.reason, /too few repetitions \(3 and 3; need 5 on both sides\)/);
    assert.equal(cellVerdict(S(around(41 * G, 1, 3)), S(around(7 * G, 1, 3)), { min_n: 3 }).verdict, "worse");
  });

  it("significant but tiny: -1 % with almost no noise is the same", () => {
    const v = cellVerdict(S(around(41 * G, 0.05, 10)), S(around(40.59 * G, 0.05, 10)));
    assert.equal(v.verdict, "same");
    assert.ok(v.p_value! < 0.05);
    assert.match(v.reason, /the interval lies within ±3 %/);
    assert.equal(cellVerdict(S(around(41 * G, 0.05, 10)), S(around(40.59 * G, 0.05, 10)), { min_delta_pct: 0.5 }).verdict, "worse");
  });

  it("inconclusive without two samples on each side", () => {
    const v = cellVerdict(S([41 * G]), S(around(7 * G, 1, 3)));
    assert.equal(v.verdict, "inconclusive");
    assert.ok(Math.abs(v.delta_pct! + 82.93) < 0.01);
    assert.match(v.reason, /too few repetitions \(1 and 3; need 2 on both sides\)/);
    assert.equal(cellVerdict(S([]), S([1, 2])).verdict, "inconclusive");
  });

  it("unbalanced: BBR bidir, 9 vs 3 Gbit/s between directions", () => {
    const dirs = pair(around(9 * G, 1, 5), around(3 * G, 1, 5));
    const v = cellVerdict(S(around(12 * G, 1, 5)), S(around(12 * G, 1, 5)), { directions: dirs });
    assert.equal(v.verdict, "unbalanced");
    assert.equal(v.throughput_verdict, "same");
    assert.ok(Math.abs(v.imbalance!.imbalance_pct! - 66.67) < 0.01);
    assert.match(v.reason, /^unbalanced: forward 9\.00 Gbit\/s, reverse 3\.00 Gbit\/s: differ by 66\.7 % \(threshold 20 %\)/);
  });

  it("balanced directions (4 % apart) stay with the throughput verdict; the threshold is configurable", () => {
    const dirs = pair(around(5 * G, 1, 5), around(4.8 * G, 1, 5));
    const v = cellVerdict(S(around(10 * G, 1, 5)), S(around(10 * G, 1, 5)), { directions: dirs });
    assert.equal(v.verdict, "same");
    assert.equal(v.imbalance!.unbalanced, false);
    assert.equal(imbalance(dirs, { imbalance_pct: 2 }).unbalanced, true);
    assert.equal(imbalance(pair([5 * G], [1 * G])).unbalanced, false);
  });
});

function cellResult(id: string, samples: number[], over: Partial<CellResult> = {}): CellResult {
  return { cell_id: id, samples_bits_per_s: samples, throughput: S(samples), directions: null, manifests: [manifest("vm-a"), manifest("vm-b")], run_ids: [], ...over };
}

describe("baselineVerdicts", () => {
  it("judges every measured cell of Table 1 against its baseline", () => {
    const cells = expandCells(parseCampaignSpec(fixture("table1.yaml"), "yaml"));
    const result: CampaignResult = {
      campaign_id: "c1",
      name: "table1",
      spec_digest: "d",
      cells: [
        cellResult("baseline", around(41 * G, 1, 5)),
        cellResult("tx-checksum-off", around(7 * G, 2, 5)),
        cellResult("gro-off", around(41 * G, 1, 5)),
        cellResult("tx-nocache-copy-on", around(34 * G, 1, 5)),
        cellResult("bbr-bidir", around(30 * G, 1, 5), { directions: pair(around(20 * G, 1, 5), around(10 * G, 1, 5)) }),
      ],
    };
    const v = baselineVerdicts(cells, result);
    assert.deepEqual(
      Object.entries(v).map(([id, x]) => [id, x.verdict]),
      [
        ["tx-checksum-off", "worse"],
        ["gro-off", "same"],
        ["tx-nocache-copy-on", "worse"],
        ["bbr-bidir", "unbalanced"],
      ],
    );
  });
});

describe("campaignVerdict", () => {
  const previous: CampaignResult = {
    campaign_id: "c1",
    name: "table1",
    spec_digest: "a".repeat(64),
    cells: [
      cellResult("baseline", around(41 * G, 1, 5)),
      cellResult("gro-off", around(41 * G, 1, 5)),
      cellResult("bbr-bidir", around(30 * G, 1, 5), { directions: pair(around(15.5 * G, 1, 5), around(14.5 * G, 1, 5)) }),
      cellResult("congestion-cdg", around(20 * G, 1, 5)),
    ],
  };
  const newKernel = [manifest("vm-a", { kernel: "6.12.0-1-amd64" }), manifest("vm-b", { kernel: "6.12.0-1-amd64" })];
  const current: CampaignResult = {
    campaign_id: "c2",
    name: "table1",
    spec_digest: "a".repeat(64),
    cells: [
      cellResult("baseline", around(35 * G, 1, 5), { manifests: newKernel }),
      cellResult("gro-off", around(41.2 * G, 1, 5)),
      cellResult("bbr-bidir", around(30 * G, 1, 5), { directions: pair(around(20 * G, 1, 5), around(10 * G, 1, 5)) }),
      cellResult("tx-checksum-off", around(7 * G, 1, 5)),
    ],
  };
  const v = campaignVerdict(previous, current);

  it("compares cell by cell and counts the verdicts", () => {
    assert.equal(v.comparable, true);
    assert.deepEqual(
      v.cells.map((c) => [c.cell_id, c.presence, c.verdict?.verdict ?? null]),
      [
        ["baseline", "both", "worse"],
        ["gro-off", "both", "same"],
        ["bbr-bidir", "both", "unbalanced"],
        ["tx-checksum-off", "current_only", null],
        ["congestion-cdg", "previous_only", null],
      ],
    );
    assert.deepEqual(v.counts, { same: 1, better: 0, worse: 1, unbalanced: 1, inconclusive: 0, missing: 2 });
  });

  it("attributes a regression to what changed in the manifests", () => {
    assert.deepEqual(v.manifest.changed, ["kernel"]);
    assert.deepEqual(v.regressions[0], { cell_id: "baseline", verdict: "worse", delta_pct: v.cells[0]!.verdict!.delta_pct, suspects: ["kernel"] });
    assert.deepEqual(v.manifest.changes[0], { agent_id: "vm-a", field: "kernel", key: "", before: "6.1.0-28-amd64", after: "6.12.0-1-amd64" });
    assert.deepEqual(v.regressions[1], { cell_id: "bbr-bidir", verdict: "unbalanced", delta_pct: v.cells[2]!.verdict!.delta_pct, suspects: [] });
  });

  it("newly unbalanced is reported as such; equally unbalanced twice is not", () => {
    const bbr = v.cells[2]!;
    assert.equal(bbr.unbalanced_before, false);
    assert.equal(bbr.unbalanced_after, true);
    assert.match(bbr.verdict!.reason, /^newly unbalanced: /);
    const again = campaignVerdict(current, current);
    assert.equal(again.cells[2]!.verdict!.verdict, "same");
    assert.equal(again.regressions.length, 0);
  });

  it("says when the specs differ", () => {
    const other = campaignVerdict(previous, { ...current, spec_digest: "b".repeat(64) });
    assert.equal(other.comparable, false);
    assert.match(other.reason, /^spec changed \(aaaaaaaaaaaa -> bbbbbbbbbbbb\)/);
  });
});
