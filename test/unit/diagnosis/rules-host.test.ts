// Rules over one host's figures, on hand-made edges: a recorded run (the default fixture) with one figure changed.
import assert from "node:assert/strict";
import { cpuSaturated } from "../../../collector/src/diagnosis/rules/cpu-saturated.ts";
import { qdiscShaper } from "../../../collector/src/diagnosis/rules/qdisc-shaper.ts";
import { retransmits } from "../../../collector/src/diagnosis/rules/retransmits.ts";
import { softirqConcentrated } from "../../../collector/src/diagnosis/rules/softirq-concentrated.ts";
import { softnetDrops } from "../../../collector/src/diagnosis/rules/softnet-drops.ts";
import type { RunSamples } from "../../../collector/src/diagnosis/samples.ts";
import type { RunResults } from "../../../collector/src/run/results.ts";
import type { Series } from "../../../collector/src/store/types.ts";
import { loadFixture } from "./fixture.ts";

const SEC = 1_000_000_000n;

function base(): { record: { results: RunResults }; samples: RunSamples } {
  const fx = loadFixture("default");
  return structuredClone({ record: fx.record as { results: RunResults }, samples: fx.samples });
}

/** A per-cpu series over the fixture's window: `values(i)` gives the fields' values at the i-th of 10 points. */
function perCpu(s: RunSamples, measurement: string, cpu: string, fields: string[], values: (i: number) => number[]): Series {
  const step = (s.toNs - s.fromNs) / 10n;
  return { measurement, tags: { agent_id: s.server.agent_id, cpu }, columns: ["time_ns", ...fields], values: Array.from({ length: 10 }, (_, i) => [s.fromNs + step * BigInt(i), ...values(i)]), truncated: false };
}

describe("diagnosis rules: CPU, softirq, softnet", () => {
  it("cpu-saturated: the end whose iperf3 uses a whole CPU is the bottleneck", () => {
    const { record, samples } = base();
    record.results.iperf3.server_cpu_pct = 97;
    const f = cpuSaturated.evaluate({ record, samples });
    assert.deepEqual([f.verdict, f.end, f.key?.value], ["bottleneck", "receiver", 97]);
    assert.match(f.explanation, /receiver's iperf3 uses 97 % of a CPU \(user \d+ \/ system \d+ \/ softirq \d+ %\)/);
    assert.deepEqual(f.next?.cell, { name: "streams-2", set: { streams: 2 } });
  });

  it("cpu-saturated: idle CPUs and a light iperf3 are ruled out; no CPU figure at all is cannot tell", () => {
    const { record } = base();
    for (const side of ["server", "client"] as const) record.results[side].cpu = { ...record.results[side].cpu, busy_pct: 40, user_pct: 20 };
    record.results.iperf3.server_cpu_pct = 30;
    record.results.iperf3.client_cpu_pct = 20;
    assert.equal(cpuSaturated.evaluate({ record, samples: null }).verdict, "ruled out");
    for (const side of ["server", "client"] as const) record.results[side].cpu = { ...record.results[side].cpu, busy_pct: null };
    record.results.iperf3.server_cpu_pct = null;
    record.results.iperf3.client_cpu_pct = null;
    const f = cpuSaturated.evaluate({ record, samples: null });
    assert.equal(f.verdict, "cannot tell");
    assert.match(f.explanation, /unavailable: no cpu samples in the window and iperf3 reported no CPU/);
  });

  it("softirq-concentrated: all NET_RX on a saturated CPU contributes; on a CPU with time left it does not", () => {
    const { record, samples } = base();
    samples.server.softirqs = [perCpu(samples, "softirqs", "cpu0", ["net_rx_total"], (i) => [1000 * i]), perCpu(samples, "softirqs", "cpu1", ["net_rx_total"], () => [5])];
    samples.server.cpu = [perCpu(samples, "cpu", "cpu0", ["busy_pct"], () => [99])];
    const f = softirqConcentrated.evaluate({ record, samples });
    assert.deepEqual([f.verdict, f.key?.value], ["contributing", 100]);
    samples.server.cpu = [perCpu(samples, "cpu", "cpu0", ["busy_pct"], () => [40])];
    assert.equal(softirqConcentrated.evaluate({ record, samples }).verdict, "ruled out");
    samples.server.softirqs = [];
    assert.match(softirqConcentrated.evaluate({ record, samples }).explanation, /^softirqs per cpu unavailable: no softirqs samples of the receiver/);
  });

  it("softnet-drops: a drop contributes (each is a retransmit); many squeezes too; a counter going down (reset) adds nothing", () => {
    const { record, samples } = base();
    samples.client.softnet = [perCpu(samples, "softnet", "cpu0", ["dropped_total", "time_squeeze_total"], (i) => [i >= 5 ? 3 : 0, 0])];
    const f = softnetDrops.evaluate({ record, samples });
    assert.deepEqual([f.verdict, f.end, f.key?.value], ["contributing", "sender", 3]);
    samples.client.softnet = [perCpu(samples, "softnet", "cpu0", ["dropped_total", "time_squeeze_total"], (i) => [0, i * 100])];
    assert.equal(softnetDrops.evaluate({ record, samples }).verdict, "contributing");
    samples.client.softnet = [perCpu(samples, "softnet", "cpu0", ["dropped_total", "time_squeeze_total"], (i) => [i < 5 ? 1_000_000 : 0, 0])];
    assert.equal(softnetDrops.evaluate({ record, samples }).verdict, "ruled out");
    assert.match(softnetDrops.evaluate({ record, samples: null }).explanation, /^softnet unavailable: no samples were given/);
  });

  it("retransmits: 2 % is the bottleneck and the receiver window is named when it limited the sender", () => {
    const { record, samples } = base();
    const flow = record.results.client.flows.find((x) => Number(x.fields["data_segs_out_total"] ?? 0) > 1000);
    assert.ok(flow);
    flow.fields["data_segs_out_total"] = 100_000;
    flow.fields["busy_ns_total"] = 10n * SEC;
    flow.fields["rwnd_limited_ns_total"] = 7n * SEC;
    record.results.retransmits.iperf3 = 2000;
    const f = retransmits.evaluate({ record, samples });
    assert.deepEqual([f.verdict, f.key?.value], ["bottleneck", 2]);
    assert.match(f.explanation, /limited by the receiver window \(rwnd-limited\) 70 % of its busy time/);
    record.results.retransmits = { iperf3: null, sender_retrans_segs: null };
    assert.equal(retransmits.evaluate({ record, samples }).verdict, "cannot tell");
  });

  it("qdisc-shaper: an htb at the receiver is named there; with no netstate it cannot tell", () => {
    const { record, samples } = base();
    const iface = record.results.server.netdev.interface as string;
    samples.server.netstate = [{ measurement: "netstate", tags: { agent_id: samples.server.agent_id, interface: iface, qdisc: "htb", operstate: "up" }, columns: ["time_ns", "mtu_bytes"], values: [[samples.fromNs, 1500]], truncated: false }];
    const f = qdiscShaper.evaluate({ record, samples });
    assert.deepEqual([f.verdict, f.end], ["bottleneck", "receiver"]);
    assert.deepEqual(f.next?.cell, { name: "qdisc-pfifo", set: { qdisc: "pfifo" }, apply_on: "server" });
    samples.server.netstate = [];
    samples.client.netstate = [];
    assert.match(qdiscShaper.evaluate({ record, samples }).explanation, /^netstate \(qdisc\) unavailable: no netstate row/);
  });
});
