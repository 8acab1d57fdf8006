// The engine on real runs recorded on a namespace pair on a bridge (test/fixtures/diagnosis/README.md): each
// perturbation is named as the cause it is, with its figure; what this host cannot measure (VM threads, exits,
// memory bandwidth) says cannot tell with the record's own reason.
import assert from "node:assert/strict";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { formatDiagnosis } from "../../../collector/src/diagnosis/format.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import type { RunResults } from "../../../collector/src/run/results.ts";
import { findingOf, loadFixture, SCENARIOS } from "./fixture.ts";

const run = (name: (typeof SCENARIOS)[number]) => {
  const fx = loadFixture(name);
  return { fx, d: diagnose(fx.record, fx.samples) };
};

describe("diagnosis of recorded runs", () => {
  it("every fixture: bottleneck first, every finding with evidence or a cannot-tell reason", () => {
    for (const name of SCENARIOS) {
      const { d } = run(name);
      assert.equal(d.inputs, "run record and samples", name);
      const ranks = d.findings.map((f) => ["bottleneck", "contributing", "ruled out", "cannot tell"].indexOf(f.verdict));
      assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), name);
      for (const f of d.findings) {
        if (f.verdict === "cannot tell") assert.match(f.explanation, / unavailable: ./, `${name} ${f.rule}`);
        else assert.ok(f.evidence.length > 0 && f.evidence.every((e) => e.source !== "" && e.window !== ""), `${name} ${f.rule}`);
      }
    }
  });

  it("checksum off at the sender: the offload is the bottleneck there, with the software pass it adds per packet", () => {
    const { d } = run("checksum-off");
    const f = findingOf(d, "offloads");
    assert.deepEqual([f.verdict, f.end], ["bottleneck", "sender"]);
    assert.equal(f.key?.value, 1.26, "one more 64 KiB pass at the paper's 52 GB/s");
    assert.match(f.explanation, /tx checksum offload off at the sender: a software checksum pass .* and no TSO\/GSO/);
    assert.ok(f.evidence.some((e) => e.name.startsWith("sender") && String(e.value).includes("tx_checksumming off")));
    assert.deepEqual(f.next?.cell, { name: "tx-checksumming-restored", set: { tx_checksum: "on" }, apply_on: "client" });
    const size = findingOf(d, "packet-size");
    assert.equal(size.verdict, "contributing");
    assert.ok((size.key?.value ?? Infinity) < 2000, `packets of ${size.key?.value} B`);
    assert.equal(d.findings[0]?.rule, "offloads");
  });

  it("GSO off at the sender, GRO off at the receiver: ruled out, packets stay large (the study's no change)", () => {
    const { d } = run("gro-gso-off");
    const f = findingOf(d, "offloads");
    assert.equal(f.verdict, "ruled out");
    assert.match(f.explanation, /GSO off at the sender \(TSO still sends large packets\).*GRO off at the receiver, but packets arrive large/);
    assert.equal(findingOf(d, "packet-size").verdict, "ruled out");
  });

  it("tx-nocache-copy on: contributing at the sender, the setting named", () => {
    const f = findingOf(run("tx-nocache-copy").d, "offloads");
    assert.deepEqual([f.verdict, f.end, f.key?.label], ["contributing", "sender", "sender tx-nocache-copy"]);
    assert.deepEqual(f.next?.cell.set, { tx_nocache_copy: "off" });
  });

  it("a CPU-starved receiver: CPU saturated, the receiver's iperf3 the most starved", () => {
    const { fx, d } = run("starved-receiver");
    const f = findingOf(d, "cpu-saturated");
    assert.deepEqual([f.verdict, f.end], ["bottleneck", "receiver"]);
    const r = fx.record.results as RunResults;
    assert.ok((r.iperf3.server_cpu_pct ?? 100) < 50, "the receiver (server) iperf3 got little CPU");
    assert.match(f.explanation, /100 % busy.*iperf3 gets only .* the receiver most/);
  });

  it("a tbf-shaped link: the shaper is the bottleneck, at the measured rate; not loss", () => {
    const { d } = run("tbf-200mbit");
    const f = findingOf(d, "qdisc-shaper");
    assert.deepEqual([f.verdict, f.end], ["bottleneck", "sender"]);
    assert.ok(f.key?.value !== null && (f.key?.value ?? 1) < 0.21, `${f.key?.value} Gbit/s under the 200 Mbit/s tbf`);
    assert.equal(findingOf(d, "retransmits").verdict, "ruled out");
    assert.match(findingOf(d, "retransmits").explanation, /congestion window or path \(cwnd-limited/);
  });

  it("the default run: no offload, shaper, size or measurement finding; on this busy host the CPU is named", () => {
    const { d } = run("default");
    for (const rule of ["offloads", "qdisc-shaper", "packet-size", "netdev-agreement", "softnet-drops"]) assert.equal(findingOf(d, rule).verdict, "ruled out", rule);
    assert.notEqual(findingOf(d, "cpu-saturated").verdict, "cannot tell");
  });

  it("what this host cannot measure: cannot tell, with the record's own reason", () => {
    const { d } = run("default");
    assert.match(findingOf(d, "vm-thread").explanation, /^vm_thread unavailable: the run's agents share their host agent's machine UUID .*not in VMs/);
    assert.match(findingOf(d, "exits").explanation, /^VM exit counts unavailable: .*not in VMs: no VM exits/);
    assert.match(findingOf(d, "memory-bandwidth").explanation, /^membw unavailable: diag-host: unavailable: /);
    assert.match(findingOf(d, "bidir-balance").explanation, /^second direction unavailable: the run was one-way/);
  });

  it("without samples, the rules that need them say so; the record's own figures still decide the rest", () => {
    const fx = loadFixture("checksum-off");
    const d = diagnose(fx.record);
    assert.equal(d.inputs, "run record only: no samples given");
    assert.equal(findingOf(d, "offloads").explanation, "netstate (offloads) unavailable: no samples were given to the diagnosis (the record alone)");
    assert.equal(findingOf(d, "packet-size").verdict, "contributing");
  });

  it("the run report ends with the findings, bottleneck first, one line each", () => {
    const fx = loadFixture("checksum-off");
    const text = formatRun({ ...fx.record, diagnosis: diagnose(fx.record, fx.samples) });
    const tail = text.slice(text.indexOf("\ndiagnosis (engine"));
    assert.match(tail, /^\ndiagnosis \(engine \d+; run record and samples\):\n {2}bottleneck: checksum or segmentation offload off/);
    assert.match(tail, /\n {2}BOTTLENECK offloads \[sender\] — sender tx-checksumming 1\.26 us added per packet \(confidence 0\.9\): /);
    assert.match(tail, /\n {2}ruled out: .*retransmits \(retransmitted /);
    assert.match(tail, /\n {2}cannot tell memory-bandwidth: membw unavailable: /);
    assert.deepEqual(formatDiagnosis(diagnose(fx.record, fx.samples)), tail.trimStart().split("\n"));
  });
});
