// Campaign diagnosis on recorded runs (test/fixtures/diagnosis): a fixture's findings as a cell, the default run's
// as its baseline; whether the changed findings explain the verdict the campaign gave the cell.
import assert from "node:assert/strict";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { brief, compareFinding, consolidate, explainCell, type BriefFinding, type CellFindings } from "../../../collector/src/campaign/explain.ts";
import { diagnoseCampaign } from "../../../collector/src/campaign/explain-campaign.ts";
import { formatCampaignDiagnosis, valueText } from "../../../collector/src/campaign/explain-text.ts";
import type { VerdictKind } from "../../../collector/src/campaign/verdict.ts";
import { loadFixture, SCENARIOS } from "../diagnosis/fixture.ts";

type Scenario = (typeof SCENARIOS)[number];
const findings = (s: Scenario): BriefFinding[] => {
  const fx = loadFixture(s);
  return brief(diagnose(fx.record, fx.samples));
};
const bits = (s: Scenario) => loadFixture(s).record.results.throughput.iperf3_receiver_bits_per_s;
const deltaPct = (s: Scenario, base: Scenario = "default") => ((bits(s) - bits(base)) / bits(base)) * 100;

function cell(s: Scenario, verdict: VerdictKind, runs = [findings(s)], name: string = s): CellFindings {
  return { cell_id: s, name, baseline_id: "baseline", is_baseline: false, verdict, delta_pct: deltaPct(s), runs };
}
const BASE: CellFindings = { cell_id: "baseline", name: "default", baseline_id: "baseline", is_baseline: true, verdict: null, delta_pct: null, runs: [findings("default")] };

describe("campaign diagnosis: findings against the baseline", () => {
  it("checksum off: offloads became the bottleneck at the sender, packets shrank at the receiver: explained", () => {
    const e = diagnoseCampaign([BASE, cell("checksum-off", "worse", undefined, "checksum offload off")]).cells[0]!;
    assert.equal(e.status, "explained");
    assert.deepEqual(e.explained_by, ["offloads", "packet-size"]);
    const off = e.changes.find((c) => c.rule === "offloads")!;
    assert.deepEqual([off.kind, off.from, off.to, off.end, off.direction], ["appeared", "ruled out", "bottleneck", "sender", "adverse"]);
    const size = e.changes.find((c) => c.rule === "packet-size")!;
    assert.deepEqual(size.key, { label: "receiver bytes/packet", unit: "B", from: 60205, to: 1511 });
    assert.equal(
      e.text,
      "checksum offload off: offloads became bottleneck at the sender (sender tx-checksumming 1.26 us added per packet); " +
        "packet-size became contributing at the receiver (receiver bytes/packet 60.2 kB -> 1.51 kB); throughput -42.7 % (worse): explained",
    );
    // The baseline's own limit (CPU contention on this host) went away: listed, after the adverse changes.
    assert.equal(e.changes.at(-1)?.rule, "cpu-saturated");
    assert.equal(e.changes.at(-1)?.kind, "disappeared");
  });

  it("a shaper: the tbf qdisc became the bottleneck: explained", () => {
    const e = diagnoseCampaign([BASE, cell("tbf-200mbit", "worse")]).cells[0]!;
    assert.equal(e.status, "explained");
    assert.equal(e.explained_by[0], "qdisc-shaper");
    assert.match(e.text, /^tbf-200mbit: qdisc-shaper became bottleneck at the sender \(sender qdisc tbf 0\.19 Gbit\/s\)/);
  });

  it("tx-nocache-copy: the setting is named as contributing (the fixture ran faster; a worse verdict is explained by it)", () => {
    const e = diagnoseCampaign([BASE, cell("tx-nocache-copy", "worse")]).cells[0]!;
    assert.equal(e.status, "explained");
    assert.ok(e.explained_by.includes("offloads"), e.text);
    assert.match(e.text, /offloads became contributing at the sender \(sender tx-nocache-copy\)/);
  });

  it("a starved receiver: the CPU limit moved from the sender to the receiver: possibly explained (a move alone)", () => {
    const e = diagnoseCampaign([BASE, cell("starved-receiver", "worse")]).cells[0]!;
    assert.equal(e.status, "possibly explained");
    assert.deepEqual(e.explained_by, ["cpu-saturated"]);
    assert.match(e.text, /^starved-receiver: cpu-saturated bottleneck moved from the sender to the receiver \(host CPU busy 98\.7 % -> 100 %\); throughput -63\.1 % \(worse\): possibly explained$/);
    const d = diagnoseCampaign([BASE, cell("starved-receiver", "worse")]);
    assert.match(d.summary, /^0 of 1 cell\(s\) that changed throughput explained by their findings \(not explained: starved-receiver \(possibly\)\)$/);
  });

  it("GRO/GSO off ran faster: explained by the baseline's CPU limit going away; as 'same' the findings changed without effect", () => {
    const better = diagnoseCampaign([BASE, cell("gro-gso-off", "better")]).cells[0]!;
    assert.equal(better.status, "explained");
    assert.deepEqual(better.explained_by, ["cpu-saturated"]);
    assert.match(better.text, /cpu-saturated no longer bottleneck/);
    const same = diagnoseCampaign([BASE, cell("gro-gso-off", "same")]).cells[0]!;
    assert.equal(same.status, "no effect");
    assert.deepEqual(same.explained_by, []);
  });

  it("a verdict no finding accounts for is 'not explained'; the same findings and the same throughput are 'consistent'", () => {
    const worse = diagnoseCampaign([BASE, { ...cell("default", "worse"), cell_id: "again", name: "again" }]).cells[0]!;
    assert.deepEqual([worse.status, worse.changes.length], ["not explained", 0]);
    assert.match(worse.text, /^again: no finding changed; throughput \+0 % \(worse\): not explained$/);
    const same = diagnoseCampaign([BASE, { ...cell("default", "same"), cell_id: "again" }]).cells[0]!;
    assert.equal(same.status, "consistent");
    // Only changes for the better behind a worse verdict: not explained either.
    const wrongWay = explainCell(cell("gro-gso-off", "worse"), BASE.runs);
    assert.equal(wrongWay.status, "explained", "retransmits appeared (contributing): adverse");
    const onlyEased = explainCell({ ...cell("default", "worse"), runs: [findings("default").map((f) => (f.rule === "cpu-saturated" ? { ...f, verdict: "ruled out" as const } : f))] }, BASE.runs);
    assert.equal(onlyEased.status, "not explained");
  });

  it("inconclusive cells list the candidates; no diagnosed run on a side: cannot tell", () => {
    const inc = explainCell(cell("checksum-off", "inconclusive"), BASE.runs);
    assert.equal(inc.status, "inconclusive");
    assert.ok(inc.changes.length >= 2);
    const none = diagnoseCampaign([{ ...BASE, runs: [] }, cell("checksum-off", "worse")]).cells[0]!;
    assert.deepEqual([none.status, none.runs], ["cannot tell", { cell: 1, baseline: 0 }]);
    assert.match(none.text, /cannot tell: no diagnosed run in its baseline/);
  });

  it("repetitions: the majority verdict per rule, with the median key of those runs", () => {
    const a = findings("checksum-off");
    const b = findings("default");
    const c = consolidate([a, b, a]);
    assert.equal(c.get("offloads")?.verdict, "bottleneck");
    assert.equal(c.get("packet-size")?.key?.value, 1511);
    // a tie goes to the more severe verdict
    assert.equal(consolidate([a, b]).get("offloads")?.verdict, "bottleneck");
    const e = explainCell(cell("checksum-off", "worse", [a, a, b]), [b, b]);
    assert.deepEqual([e.status, e.runs], ["explained", { cell: 3, baseline: 2 }]);
  });

  it("pools keys of one label and unit only; a measured figure wins over the model's", () => {
    const f = (value: number, unit: string): BriefFinding[] => [{ rule: "offloads", title: "O", verdict: "bottleneck", confidence: 0.9, end: "sender", key: { label: "sender tx-checksumming", value, unit } }];
    // the first run's profile had too few samples: its figure is the model's copy, the others measured theirs
    const c = consolidate([f(1.26, "us added per packet"), f(2.7, "us per packet measured"), f(2.9, "us per packet measured")]).get("offloads");
    assert.deepEqual(c?.key, { label: "sender tx-checksumming", value: 2.8, unit: "us per packet measured" });
    assert.deepEqual(consolidate([f(1.25, "us added per packet"), f(1.75, "us added per packet")]).get("offloads")?.key?.value, 1.5);
  });

  it("cannot tell on either side is no change; a key figure moving 25 % or more in an active finding is", () => {
    const f = (verdict: BriefFinding["verdict"], value: number | null, unit = "%"): BriefFinding => ({ rule: "r", title: "R", verdict, confidence: 0.6, end: "sender", key: { label: "k", value, unit } });
    assert.equal(compareFinding(f("cannot tell", null), f("bottleneck", 90)), null);
    assert.equal(compareFinding(f("ruled out", 1), f("ruled out", 50)), null, "ruled out both times: no claim");
    assert.equal(compareFinding(f("contributing", 1), f("contributing", 1.2)), null);
    assert.deepEqual(compareFinding(f("contributing", 1), f("contributing", 2))?.direction, "adverse");
    assert.deepEqual(compareFinding(f("contributing", 60000, "B"), f("contributing", 1500, "B"))?.direction, "adverse", "smaller packets are worse");
  });

  it("campaign summary and the lines `campaign show` prints", () => {
    const d = diagnoseCampaign([BASE, cell("checksum-off", "worse"), cell("gro-gso-off", "same"), { ...cell("default", "worse"), cell_id: "again", name: "again" }]);
    assert.equal(d.summary, "1 of 2 cell(s) that changed throughput explained by their findings (not explained: again); other cells: 1 no effect");
    assert.match(d.baselines["baseline"] ?? "", /^bottleneck cpu-saturated at the sender \(host CPU busy 98\.7 %\)$/);
    const lines = formatCampaignDiagnosis(d);
    assert.match(lines[0]!, /^diagnosis against the baseline \(engine \d+\): 1 of 2/);
    assert.equal(lines.length, 1 + 1 + 3);
    assert.equal(valueText(60205, "B"), "60.2 kB");
    assert.equal(valueText(0.0297, "%"), "0.03 %");
  });
});
