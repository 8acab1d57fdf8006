// Measured terms in the findings: the cpu-terms rule and the offloads rule on runs recorded with their CPU profile
// (test/fixtures/diagnosis/profiled), and a campaign that says which measured term moved against the baseline.
import assert from "node:assert/strict";
import { join } from "node:path";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { cpuTerms } from "../../../collector/src/diagnosis/rules/cpu-terms.ts";
import { offloads } from "../../../collector/src/diagnosis/rules/offloads.ts";
import { brief, type CellFindings } from "../../../collector/src/campaign/explain.ts";
import { diagnoseCampaign } from "../../../collector/src/campaign/explain-campaign.ts";
import { withCampaignDiagnosis } from "../../../collector/src/campaign/explain-load.ts";
import { runTermsOf, termChanges } from "../../../collector/src/campaign/explain-terms.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";
import { findingOf, loadFixture, loadProfiled, PROFILED } from "./fixture.ts";

const fx = Object.fromEntries(PROFILED.map((n) => [n, loadProfiled(n)])) as Record<(typeof PROFILED)[number], ReturnType<typeof loadProfiled>>;
type Profile = { ends: Array<{ role: string; status: string; samples: number | null; term_samples: Record<string, number> }> };
const profileOf = (r: { results: unknown }) => (r.results as { profile: Profile }).profile;

describe("diagnosis: measured terms (recorded runs with their CPU profile)", () => {
  it("the fixtures are what they say: both ends measured, no checksum term with offload on, one with it off", () => {
    for (const n of PROFILED) for (const e of profileOf(fx[n].record).ends) assert.ok(e.status === "measured" && Number(e.samples) >= 100, `${n} ${e.role}: ${e.status}, ${e.samples}`);
    assert.equal(profileOf(fx.default.record).ends.every((e) => !(Number(e.term_samples["checksum"] ?? 0) > 0)), true);
    assert.equal(profileOf(fx["checksum-off"].record).ends.every((e) => Number(e.term_samples["checksum"]) > 0), true);
  });

  it("cpu-terms: checksum off is contributing at the end with the larger checksum share, citing it; the others rule it out with their share", () => {
    const off = cpuTerms.evaluate({ record: fx["checksum-off"].record, samples: null });
    assert.deepEqual([off.verdict, off.end, off.key?.label, off.key?.unit], ["contributing", "sender", "checksum share of iperf3's CPU", "%"]);
    assert.ok(off.key!.value! > 5 && off.key!.value! < 10, String(off.key?.value));
    assert.match(off.explanation, /^software checksum takes \d+ % of the sender's iperf3 CPU \(\d\.\d\d us per packet\), a cost the model does not count; sender: stack \d+ %, copies \d+ %/);
    assert.deepEqual(off.next?.cell.set, { tx_checksum: "on" });
    for (const n of ["default", "gro-gso-off", "tx-nocache-copy"] as const) {
      const f = cpuTerms.evaluate({ record: fx[n].record, samples: null });
      assert.deepEqual([f.verdict, f.key?.value], ["ruled out", 0], `${n}: ${f.explanation}`);
      assert.match(f.explanation, /^no software checksum to speak of \(at most 0\.0 %\); copies take sender \d+ %, receiver \d+ % of iperf3's CPU/);
    }
    // tx-nocache-copy: the copies' share at both ends is well above the default's (the receiver misses the cache)
    const copies = (n: "default" | "tx-nocache-copy", role: string) => Number(findingOf(diagnose(fx[n].record, fx[n].samples), "cpu-terms").evidence.find((e) => e.name === `${role} copies`)?.value);
    for (const role of ["sender", "receiver"]) assert.ok(copies("tx-nocache-copy", role) > 1.5 * copies("default", role), `${role}: ${copies("default", role)} -> ${copies("tx-nocache-copy", role)}`);
  });

  it("cpu-terms says why it cannot tell: no profile in the record, an end not measured, too few samples", () => {
    assert.match(cpuTerms.evaluate({ record: loadFixture("default").record, samples: null }).explanation, /^CPU profile unavailable: the record has no profile/);
    const r = structuredClone(fx.default.record);
    const ends = profileOf(r).ends;
    for (const e of ends) e.status = "unavailable: perf not allowed by the agent's actions";
    const f = cpuTerms.evaluate({ record: r, samples: null });
    assert.equal(f.verdict, "cannot tell");
    assert.match(f.explanation, /^CPU profile unavailable: receiver: unavailable: perf not allowed.*; sender: unavailable: perf not allowed/);
    const few = structuredClone(fx.default.record);
    for (const e of profileOf(few).ends) e.samples = 40;
    assert.match(cpuTerms.evaluate({ record: few, samples: null }).explanation, /40 samples \(< 100\)/);
    const one = structuredClone(fx["checksum-off"].record);
    profileOf(one).ends[0]!.status = "unavailable: agent not connected";
    assert.match(cpuTerms.evaluate({ record: one, samples: null }).explanation, /\(receiver not measured: unavailable: agent not connected\)$/);
  });

  it("offloads: checksum off cites the measured checksum term, and its key is the measured us per packet", () => {
    const f = offloads.evaluate({ record: fx["checksum-off"].record, samples: fx["checksum-off"].samples });
    assert.equal(f.verdict, "bottleneck");
    assert.match(f.explanation, /tx checksum offload off at the sender: a software checksum pass over each packet \(about one more copy, [\d.]+ us per 64 KiB at the model's copy bandwidth; measured: checksum \d+ % of the sender's iperf3 CPU, \d\.\d\d us per packet\)/);
    assert.equal(f.key?.unit, "us per packet measured");
    const us = Number(f.evidence.find((e) => e.name === "sender checksum share of iperf3's CPU")?.unit.match(/\(([\d.]+) us/)?.[1]);
    assert.ok(us > 0 && Math.abs(f.key!.value! - us) < 0.01, `${f.key?.value} vs ${us}`);
    // the record without a profile keeps the model's figure
    assert.equal(offloads.evaluate({ record: loadFixture("checksum-off").record, samples: loadFixture("checksum-off").samples }).key?.unit, "us added per packet");
  });
});

describe("campaign diagnosis: measured terms against the baseline", () => {
  const cell = (id: string, n: (typeof PROFILED)[number], verdict: CellFindings["verdict"], delta: number | null, reps = 3): CellFindings => {
    const d = diagnose(fx[n].record, fx[n].samples);
    const terms = runTermsOf(fx[n].record)!;
    return { cell_id: id, name: id, baseline_id: "baseline", is_baseline: id === "baseline", verdict, delta_pct: delta, runs: Array.from({ length: reps }, () => brief(d)), terms: Array.from({ length: reps }, () => terms) };
  };

  it("checksum off: the checksum term appears and the stack's cost per packet grows; tx-nocache-copy: copies at both ends", () => {
    const d = diagnoseCampaign([cell("baseline", "default", null, null), cell("csum", "checksum-off", "worse", -54), cell("nocache", "tx-nocache-copy", "worse", -17), cell("gso", "gro-gso-off", "same", 1)]);
    const csum = d.cells.find((c) => c.cell_id === "csum")!;
    const t = (c: typeof csum, end: string, term: string) => c.term_changes.find((x) => x.end === end && x.term === term);
    assert.ok(t(csum, "sender", "checksum")?.from_us === 0 && t(csum, "sender", "checksum")!.to_us > 1, JSON.stringify(csum.term_changes));
    assert.ok(t(csum, "sender", "stack")!.to_us > 2 * t(csum, "sender", "stack")!.from_us);
    // the largest change is the stack's cost per packet at the sender (TSO/GSO go with checksum offload: MTU-sized packets)
    assert.deepEqual([csum.term_changes[0]?.end, csum.term_changes[0]?.term, csum.term_changes[0]?.direction], ["sender", "stack", "adverse"]);
    assert.deepEqual(csum.explained_by.slice(-1), ["measured terms"]);
    assert.match(csum.text, /cpu-terms became contributing at the sender \(checksum share of iperf3's CPU 0 % -> \d\.?\d* %\)/);
    assert.match(csum.text, /; measured: sender stack [\d.]+ -> [\d.]+ us per packet \(\d+ -> \d+ % of iperf3's CPU\), receiver stack .* and \d more; throughput -54 % \(worse\): explained$/);
    const nocache = d.cells.find((c) => c.cell_id === "nocache")!;
    assert.equal(nocache.status, "explained");
    for (const end of ["sender", "receiver"]) assert.ok(t(nocache, end, "copies")!.to_us > 1.5 * t(nocache, end, "copies")!.from_us, JSON.stringify(nocache.term_changes));
    assert.match(nocache.text, /measured: (sender|receiver) copies [\d.]+ -> [\d.]+ us per packet/);
  });

  it("term changes: below 0.5 us or 25 % is no change; the median of the runs; no profile on a side: none", () => {
    const base = runTermsOf(fx.default.record)!;
    const bump = (k: number) => ({ sender: { us: { ...base.sender!.us, copies: base.sender!.us.copies! * k }, pct: base.sender!.pct } });
    assert.deepEqual(termChanges([base], [bump(1.1)]), [], "10 %");
    assert.equal(termChanges([base], [bump(1.3)])[0]?.term, "copies");
    assert.deepEqual(termChanges([base], [bump(2), bump(1), bump(1)]), [], "median of the cell's runs");
    assert.deepEqual(termChanges([], [bump(2)]), []);
    assert.equal(runTermsOf(loadFixture("default").record), undefined);
  });

  it("an older campaign record (run summaries without terms) gets them from its stored run records", async () => {
    const dir = tempDir("cdiag-terms");
    const store = new EmbeddedStore(join(dir.path, "s.db"));
    await store.open();
    try {
      const mk = (id: string, baselineId: string, isBaseline: boolean, runIds: string[]) => ({ cell: { id, name: id, baselineId, isBaseline }, runs: runIds.map((r) => ({ id: r })) });
      const rec = { cells: [mk("baseline", "baseline", true, ["b1", "b2"]), mk("csum", "baseline", false, ["c1", "c2"])], verdicts: { csum: { verdict: "worse", delta_pct: -50 } } };
      for (const [id, n] of [["b1", "default"], ["b2", "default"], ["c1", "checksum-off"], ["c2", "checksum-off"]] as const) await store.putRecord("run", id, { ...fx[n].record, id });
      const d = (await withCampaignDiagnosis(store, rec)) as unknown as { diagnosis: ReturnType<typeof diagnoseCampaign> };
      const c = d.diagnosis.cells[0]!;
      assert.ok(c.term_changes.some((x) => x.end === "sender" && x.term === "checksum" && x.from_us === 0), JSON.stringify(c.term_changes));
      assert.equal(c.status, "explained");
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
