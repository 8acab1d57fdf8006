// The exit term of a run: guest agents linked to host-side VMs by machine UUID.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { exitObservation, exitTerm, modelExits, perfExits } from "../../../collector/src/run/exits.ts";
import { splitNamespaced, uuidsOf, type RunVm } from "../../../collector/src/run/vms.ts";
import { exitSources } from "../../../collector/src/run/exit-sources.ts";
import { hostLines } from "../../../collector/src/run/format.ts";
import { hostSide } from "../../../collector/src/run/hostside.ts";
import { runModel } from "../../../collector/src/run/run-model.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import type { AgentRecord } from "../../../collector/src/store/types.ts";
import type { Sample } from "@eastwest/common";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;
const UUID = "5f1d2c3b-0000-4000-8000-00000000abcd";

function agent(agentId: string, role: AgentRecord["role"], machineUuid: string): AgentRecord {
  return { agentId, role, hostname: agentId, kernel: "k", machineUuid, netns: "", capabilities: [], agentVersion: "t", pid: 1, calibration: null, firstSeenNs: T0, lastSeenNs: T0, connected: true, highestSeq: 0n };
}

describe("run exits: guest agents linked to host VMs", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  beforeEach(async () => {
    dir = tempDir("exits");
    store = new EmbeddedStore(join(dir.path, "e.db"));
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("counts the exits of the VM whose uuid a guest agent reports", async () => {
    await store.upsertAgent(agent("guest-a", "guest", UUID.toUpperCase()));
    await store.upsertAgent(agent("guest-b", "guest", "no-such-vm-uuid-0000000000000000000"));
    const tags = { agent_id: "hv1", host: "hv1", netns: "n", vm: "vm-a", vm_uuid: UUID };
    const points = [0n, 5n, 10n].map((s, i) => ({ measurement: "vm_kvm", tags, fields: { exits_total: 1000n + BigInt(i) * 20_000n }, timeNs: T0 + s * S }));
    assert.equal((await store.writeBatch({ agentId: "hv1", seq: 1n, points, receivedNs: T0 })).kind, "ok");
    const obs = await exitObservation(store, ["guest-a", "guest-b"], { fromNs: T0, toNs: T0 + 10n * S });
    assert.equal(obs.found?.exits, 40_000);
    assert.match(obs.found?.source ?? "", /vm-a on hv1/);
    assert.ok(obs.notes.some((n) => /guest agent guest-b .*no host agent reports a VM with this UUID/.test(n)), obs.notes.join("\n"));
    // 40,000 exits over 655,360,000 payload bytes = 10,000 packets of 64 KiB -> 4 exits per packet, 2.0 us.
    const m = runModel({ receiverBitsPerS: 1e10, lengthBytes: 131_072, constants: PAPER_CONSTANTS, exits: { ...obs.found!, payloadBytes: 655_360_000 } }, () => undefined);
    const term = m.breakdown.terms.find((t) => t.term === "exits");
    assert.equal(term?.count, 4);
    assert.equal(term?.source, "observed");
    assert.ok(Math.abs((term?.total_us ?? 0) - 2.0) < 1e-9);
  });

  it("says why when no guest agent is in the run", async () => {
    await store.upsertAgent(agent("ns-a", "host", UUID));
    const obs = await exitObservation(store, ["ns-a"], { fromNs: T0, toNs: T0 + S });
    assert.equal(obs.found, undefined);
    assert.match(obs.notes[0] ?? "", /no guest agent/);
    const m = runModel({ receiverBitsPerS: 1e10, lengthBytes: 131_072, constants: PAPER_CONSTANTS }, () => undefined);
    const term = m.breakdown.terms.find((t) => t.term === "exits");
    assert.equal(term?.total_us, 0);
    assert.match(String((term as { reason?: string }).reason), /no exit source/);
  });

  it("agents in network namespaces (the host's machine UUID) are no missing VM: no warning, the reason says namespaces", async () => {
    await store.upsertAgent(agent("demo-host", "host", UUID));
    await store.upsertAgent(agent("demo-ns0", "guest", UUID));
    await store.upsertAgent(agent("demo-ns1", "guest", UUID.toUpperCase()));
    const obs = await exitObservation(store, ["demo-ns1", "demo-ns0"], { fromNs: T0, toNs: T0 + S });
    assert.equal(obs.found, undefined);
    assert.deepEqual(obs.notes, []);
    assert.equal(obs.missing, "the run's agents share their host agent's machine UUID (demo-ns1, demo-ns0 on demo-host): they run in network namespaces or on the host itself, not in VMs: no VM exits");
    // a real guest whose VM no host agent reports is still warned about
    await store.upsertAgent(agent("guest-x", "guest", "0b6f0000-0000-4000-8000-000000000001"));
    const mixed = await exitObservation(store, ["demo-ns0", "guest-x"], { fromNs: T0, toNs: T0 + S });
    assert.ok(mixed.notes.some((n) => /guest agent guest-x .*no host agent reports a VM with this UUID/.test(n)), mixed.notes.join("\n"));
    assert.ok(!mixed.notes.some((n) => /demo-ns0/.test(n)), mixed.notes.join("\n"));
  });

  it("a TCG guest: found by vm_info, its threads' CPU and tap counters, and the honest reason for no exits", async () => {
    await store.upsertAgent(agent("guest-t", "guest", UUID));
    const base = { agent_id: "hv1", host: "hv1", netns: "n", vm: "vm-t", vm_uuid: UUID };
    const points = [0n, 5n, 10n].flatMap((s, i): Sample[] => [
      { measurement: "vm_info", tags: { ...base, accel: "tcg", kvm_stats: "unavailable" }, fields: { pid: 7n }, timeNs: T0 + s * S },
      { measurement: "vm_thread", tags: { ...base, thread_kind: "vcpu", thread: "CPU 0/TCG" }, fields: { run_ns_total: BigInt(i) * 8n * S }, timeNs: T0 + s * S },
      { measurement: "vm_thread", tags: { ...base, thread_kind: "main", thread: "qemu-system-x86" }, fields: { run_ns_total: BigInt(i) * S }, timeNs: T0 + s * S },
      { measurement: "vm_net", tags: { ...base, iface: "ewtap0" }, fields: { rx_bytes_total: BigInt(i) * 1_000_000n, tx_bytes_total: BigInt(i) * 50_000n, rx_packets_total: BigInt(i) * 700n, tx_packets_total: BigInt(i) * 600n, rx_drops_total: 0n, tx_drops_total: 0n }, timeNs: T0 + s * S },
    ]);
    assert.equal((await store.writeBatch({ agentId: "hv1", seq: 1n, points, receivedNs: T0 })).kind, "ok");
    const w = { fromNs: T0, toNs: T0 + 10n * S };
    const obs = await exitObservation(store, ["guest-t"], w);
    assert.equal(obs.found, undefined);
    assert.equal(obs.missing, "tcg: no KVM exits (vm vm-t)");
    assert.deepEqual(obs.hostAgents, ["hv1"]);
    const vm = obs.vms[0];
    assert.deepEqual([vm?.vm, vm?.accel, vm?.exits, vm?.exits_reason, vm?.guest_agents], ["vm-t", "tcg", null, "tcg: no KVM exits", ["guest-t"]]);
    assert.deepEqual(vm?.threads.map((t) => [t.kind, t.run_pct]), [["main", 20], ["vcpu", 160]]);
    assert.deepEqual([vm?.net[0]?.iface, vm?.net[0]?.rx_bytes, vm?.net[0]?.tx_packets, vm?.net[0]?.seconds], ["ewtap0", 2_000_000, 1200, 10]);
    const m = runModel({ receiverBitsPerS: 1e9, lengthBytes: 131_072, constants: PAPER_CONSTANTS, exits: { exits: 0, payloadBytes: 1e9, source: "", missing: obs.missing } }, () => undefined);
    assert.equal(m.observed.exit_source, "tcg: no KVM exits (vm vm-t)");
    assert.doesNotMatch(JSON.stringify(m), /match no host-side VM/);
    const host = await hostSide(store, obs.hostAgents, w, 1e9, obs.vms);
    const text = hostLines(host);
    assert.ok(text.includes("  vm vm-t on hv1 (tcg, KVM counters unavailable; uuid " + UUID + "; guest agent guest-t):"), text.join("\n"));
    assert.ok(text.includes("    threads: vcpu 160.0 %, io -, main 20.0 %, vhost -"), text.join("\n"));
    // vm_net is the guest's view: rx is what the guest received
    assert.ok(text.some((l) => l.startsWith("    tap ewtap0: from the guest 100,000 B (1,200 packets, 0 drops), to the guest 2.0 MB (1,400 packets, 0 drops)")), text.join("\n"));
    assert.ok(text.includes("    exits: tcg: no KVM exits"));
  });

  it("exit sources: a tracepoint counting 0 beside VMs counting exits is not working; 30 % apart disagree", async () => {
    const kvm = (agent: string, perS: bigint) => [0n, 5n, 10n].map((s) => ({ measurement: "vm_kvm", tags: { agent_id: agent, host: agent, netns: "n", vm: "v", vm_uuid: "x" }, fields: { exits_total: perS * s }, timeNs: T0 + s * S }));
    const tp = (agent: string, perS: bigint) => [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n].map((s) => ({ measurement: "kvm_exits", tags: { agent_id: agent, host: agent, netns: "n" }, fields: { exits: perS, interval_ns: S }, timeNs: T0 + s * S }));
    const points = [...kvm("hv1", 1300n), ...tp("hv1", 0n), ...kvm("hv2", 1000n), ...tp("hv2", 700n), ...kvm("hv3", 1000n), ...tp("hv3", 1050n)];
    assert.equal((await store.writeBatch({ agentId: "hv", seq: 1n, points, receivedNs: T0 })).kind, "ok");
    const r = await exitSources(store, ["hv1", "hv2", "hv3", "hv4"], { fromNs: T0, toNs: T0 + 10n * S });
    assert.deepEqual(r.rows.map((x) => [x.agent_id, x.verdict, x.tracepoint_per_s, x.vms_per_s]), [["hv1", "not_working", 0, 1300], ["hv2", "disagree", 700, 1000], ["hv3", "agree", 1050, 1000], ["hv4", "not_compared", null, null]]);
    assert.deepEqual(r.notes, [
      "exit sources on hv1: kvmexits not working: perf kvm:kvm_exit counted 0 while the VMs' KVM counters (QMP/debugfs) counted 1,300 exits/s",
      "exit sources on hv2 disagree by 30 %: perf kvm:kvm_exit 700 exits/s, the VMs' KVM counters 1,000 exits/s",
    ]);
  });

  it("exit term: the VMs' counters, else perf kvm stat's host-wide count, else the reasons per VM", () => {
    const vm = (name: string, accel: string, exits: number | null, reason: string | null): RunVm => ({ vm: name, vm_uuid: name, host_agent: "hv", guest_agents: [], accel, kvm_stats: exits === null ? "unavailable" : "qmp", threads: [], net: [], exits, exits_reason: reason });
    const mixed = exitTerm([vm("k", "kvm", 5000, null), vm("t", "tcg", null, "tcg: no KVM exits")]);
    assert.deepEqual(mixed.found, { exits: 5000, source: "KVM exits_total of vm k on hv (QMP query-stats)" });
    assert.deepEqual(mixed.notes, ["vm t on hv: tcg: no KVM exits", "the exit term counts 1 of the run's 2 VMs"]);
    const perf = perfExits([{ agentId: "hv", count: 700 }, { agentId: "hv", count: 300 }]);
    assert.deepEqual(exitTerm([vm("t", "tcg", null, "tcg: no KVM exits")], perf).found, { exits: 1000, source: "perf kvm stat on hv (host-wide: every guest)" });
    assert.equal(perfExits([{ agentId: "hv", count: 0 }]), undefined);
    const none = exitTerm([vm("a", "tcg", null, "tcg: no KVM exits"), vm("b", "tcg", null, "tcg: no KVM exits"), vm("c", "kvm", null, "KVM counters unavailable on hv (x)")]);
    assert.equal(none.missing, "tcg: no KVM exits (vm a, b); KVM counters unavailable on hv (x) (vm c)");
    assert.deepEqual(modelExits(none), { exits: 0, source: "", missing: none.missing });
    assert.equal(exitTerm([]).missing, "the guest agents' machine UUIDs match no host-side VM");
  });
});

describe("splitNamespaced (pure)", () => {
  it("a guest UUID that a host agent also has is a namespace on that host; others may be VMs", () => {
    const agents = [
      { agentId: "h", role: "host" as const, machineUuid: "AAA" },
      { agentId: "n0", role: "guest" as const, machineUuid: "aaa" },
      { agentId: "g0", role: "guest" as const, machineUuid: "bbb" },
      { agentId: "x", role: "guest" as const, machineUuid: "" },
    ];
    const r = splitNamespaced(uuidsOf(agents, "guest"), uuidsOf(agents, "host"));
    assert.deepEqual(r.namespaced, [{ uuid: "aaa", guests: ["n0"], hosts: ["h"] }]);
    assert.deepEqual([...r.vmUuids], [["bbb", ["g0"]]]);
    assert.deepEqual(splitNamespaced(uuidsOf(agents, "guest"), new Map()).namespaced, []);
  });
});
