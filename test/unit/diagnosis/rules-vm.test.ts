// Rules over the host side and the model, on hand-made edges: VM threads, exits, memory bandwidth, the model's
// efficiency, bidirectional balance and netdev/iperf3 agreement; and the rule registry's documentation.
import assert from "node:assert/strict";
import { RULES } from "../../../collector/src/diagnosis/rules/index.ts";
import { bidirBalance } from "../../../collector/src/diagnosis/rules/bidir-balance.ts";
import { exits } from "../../../collector/src/diagnosis/rules/exits.ts";
import { memoryBandwidth } from "../../../collector/src/diagnosis/rules/memory-bandwidth.ts";
import { modelEfficiency } from "../../../collector/src/diagnosis/rules/model-efficiency.ts";
import { netdevAgreement } from "../../../collector/src/diagnosis/rules/netdev-agreement.ts";
import { vmThread } from "../../../collector/src/diagnosis/rules/vm-thread.ts";
import type { HostSide } from "../../../collector/src/run/hostside.ts";
import type { RunResults } from "../../../collector/src/run/results.ts";
import type { RunVm } from "../../../collector/src/run/vms.ts";
import { loadFixture } from "./fixture.ts";

type Rec = { results: RunResults; hostSide: HostSide };
const base = (): Rec => structuredClone(loadFixture("default").record as Rec);

function vm(threads: Array<[string, string, number | null]>): RunVm {
  return { vm: "g1", vm_uuid: "u", host_agent: "h", guest_agents: ["a"], accel: "kvm", kvm_stats: "qmp", threads: threads.map(([kind, thread, run_pct]) => ({ kind, thread, run_pct })), net: [], exits: 1000, exits_reason: null };
}

describe("diagnosis rules: VM threads, exits, memory, model, balance, agreement", () => {
  it("vm-thread: an IO thread at 99 % is the bottleneck; 50 % is ruled out; no VM cites the record's reason", () => {
    const record = base();
    record.hostSide.vms = [vm([["vcpu", "CPU 0/KVM", 40], ["io", "IO iothread0", 99], ["other", "x", 100]])];
    const f = vmThread.evaluate({ record, samples: null });
    assert.deepEqual([f.verdict, f.key?.label, f.key?.value], ["bottleneck", "vm g1 io thread", 99]);
    assert.match(f.explanation, /between tap and virtio ring/);
    record.hostSide.vms = [vm([["vcpu", "CPU 0/KVM", 50], ["io", "IO", null]])];
    assert.equal(vmThread.evaluate({ record, samples: null }).verdict, "ruled out");
    record.hostSide.vms = [vm([["io", "IO", null]])];
    assert.match(vmThread.evaluate({ record, samples: null }).explanation, /^vm_thread unavailable: no thread CPU figures for vm g1/);
  });

  it("exits: exits taking most of the time per packet are the bottleneck, with the dominant reasons", () => {
    const record = base();
    const m = record.results.model;
    m.observed.exits_per_packet = 12;
    m.breakdown.measured_per_packet_us = 10;
    record.hostSide.exitReasons = [{ agentId: "h", reason: "EPT_MISCONFIG", count: 9000, perPacket: 9 }, { agentId: "h", reason: "HLT", count: 3000, perPacket: 3 }];
    const f = exits.evaluate({ record, samples: null });
    assert.deepEqual([f.verdict, f.key?.value], ["bottleneck", 12]);
    assert.match(f.explanation, /12\.0 exits per packet take 60 % of the time per packet; most: EPT_MISCONFIG, HLT/);
    m.breakdown.measured_per_packet_us = 100;
    assert.equal(exits.evaluate({ record, samples: null }).verdict, "contributing");
    m.observed.exits_per_packet = 3;
    assert.equal(exits.evaluate({ record, samples: null }).verdict, "ruled out");
  });

  it("memory-bandwidth: 45 of 52 GB/s is the bottleneck; without membw it cites the sampler's reason", () => {
    const record = base();
    assert.match(memoryBandwidth.evaluate({ record, samples: null }).explanation, /^membw unavailable: diag-host: unavailable: /);
    record.hostSide.membw = { bytes: 45e9 * record.results.window_s, perPayloadByte: 4, source: "uncore_imc" };
    const f = memoryBandwidth.evaluate({ record, samples: null });
    assert.deepEqual([f.verdict, f.key?.value], ["bottleneck", 86.5]);
  });

  it("model-efficiency: at 61 % of the ceiling the model's terms are the limit (the study); far below, ruled out", () => {
    const record = base();
    record.results.model.efficiency = 0.61;
    assert.equal(modelEfficiency.evaluate({ record, samples: null }).verdict, "bottleneck");
    record.results.model.efficiency = 0.14;
    const f = modelEfficiency.evaluate({ record, samples: null });
    assert.equal(f.verdict, "ruled out");
    assert.match(f.explanation, /something outside the model's terms limits it; \d+ % of the time per packet is unexplained/);
  });

  it("bidir-balance: one direction at half the other contributes; a one-way run suggests a bidir cell", () => {
    const record = base();
    const one = bidirBalance.evaluate({ record, samples: null });
    assert.equal(one.verdict, "cannot tell");
    assert.deepEqual(one.next?.cell, { name: "bidir", set: { direction: "bidir" } });
    record.results.iperf3.bidir = true;
    record.results.iperf3.bidir_reverse_bits_per_s = record.results.iperf3.receiver_bits_per_s / 2;
    const f = bidirBalance.evaluate({ record, samples: null });
    assert.deepEqual([f.verdict, f.key?.value], ["contributing", 50]);
  });

  it("netdev-agreement: a receiver counting half of iperf3 is a measurement problem", () => {
    const record = base();
    assert.equal(netdevAgreement.evaluate({ record, samples: null }).verdict, "ruled out");
    record.results.throughput.receiver_agreement = 0.5;
    const f = netdevAgreement.evaluate({ record, samples: null });
    assert.deepEqual([f.verdict, f.end], ["contributing", "receiver"]);
    assert.match(f.explanation, /^measurement problem, not a network one: the receiver's interface counted -50 %/);
  });

  it("netdev-agreement: netdev above iperf3's receiver by what the receiver left unread is no measurement problem", () => {
    const record = base();
    const read = record.results.iperf3.receiver_bytes;
    record.results.throughput.receiver_agreement = 1.2;
    record.results.iperf3.sender_bytes = read * 1.19;
    const f = netdevAgreement.evaluate({ record, samples: null });
    assert.equal(f.verdict, "ruled out");
    assert.match(f.explanation, /the receiving iperf3 had 19\.0 % of the bytes sent still unread when the test ended$/);
    record.results.iperf3.sender_bytes = read * 1.01;
    assert.deepEqual([netdevAgreement.evaluate({ record, samples: null }).verdict], ["contributing"]);
  });

  it("every rule: a unique id, the signals it needs, and each threshold with its source", () => {
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
    assert.ok(RULES.length >= 13);
    for (const r of RULES) {
      assert.ok(r.title !== "" && r.signals.length > 0, r.id);
      for (const t of r.thresholds) assert.ok(Number.isFinite(t.value) && t.source.length > 10 && t.unit !== "", `${r.id}: ${t.name}`);
    }
  });
});
