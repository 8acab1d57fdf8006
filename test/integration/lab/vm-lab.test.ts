// The VM lab with real QEMU guests (TCG here, KVM where hardware virtualisation works): one `lab vm up` shared by
// a run and a campaign between the guests, then `lab vm down`, after which nothing of the lab is left.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExact } from "../../../collector/src/store/json.ts";
import type { CampaignRecord } from "../../../collector/src/campaign/runner.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import type { VmSummary } from "../../../collector/src/vms.ts";
import type { VmLabState } from "../../../cli/src/lab/vm/state.ts";
import { requireBinary, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { labApi, labLeftovers, readLabState, receiverWire } from "./vm-lab.helpers.ts";

const SPEC = `
name: vm-checksum
description: default vs tx checksum offload off between two QEMU guests
baseline: { name: default, streams: 1, direction: forward }
duration_s: 4
sample_interval_ms: 500
# why: a TCG guest decodes a CPU profile slowly (tens of seconds per run); the run test above covers the profile
profile: false
repetitions: { min: 3, max: 3, ci_target_pct: 50, confidence: 0.95 }
mode: one_at_a_time
cells:
  - { name: checksum offload off, set: { tx_checksum: off } }
`;

/** Guest 1's clock is booted this far ahead of the host's (-rtc base). */
const AHEAD_S = 3;

describe("VM lab: two QEMU guests over virtio-net on a bridge", function () {
  this.timeout(600_000);
  let dir: ReturnType<typeof tempDir>;
  let up: Proc;
  let s: VmLabState;
  let upStartedMs = 0;
  const data = () => ["--data", join(dir.path, "lab.db")];

  before(async () => {
    for (const b of ["qemu-system-x86_64", "ip", "iperf3", "ethtool", "apt-get", "dpkg-deb", "ldd"]) requireBinary(b);
    assert.equal(process.getuid?.(), 0, "the VM lab needs root (bridge, taps)");
    dir = tempDir("vmlab");
    // guest 1 boots with its clock 3 s ahead: the run must measure that offset and correct its samples by it
    upStartedMs = Date.now();
    up = start(["lab", "vm", "up", ...data(), "--clock-offset-s", `0,${AHEAD_S}`]);
    await waitFor(() => {
      if (up.child.exitCode !== null) throw new Error(`lab vm up exited ${up.child.exitCode}: ${up.stderr().slice(-3000)}\n${up.stdout()}`);
      return /lab vm: ready in/.test(up.stdout()) ? true : undefined;
    }, 420_000, "lab vm up to be ready");
    s = readLabState(join(dir.path, "lab-vm.json"));
  });

  after(async () => {
    if (up?.child.exitCode === null) await up.kill("SIGTERM");
    dir?.remove();
  });

  it("up: both guests' agents connected, the record of the accelerator, each guest linked to its VM by the host agent", async () => {
    assert.equal(s.guests.length, 2);
    assert.match(s.accel, /^(kvm|tcg): /);
    assert.match(up.stdout(), new RegExp(`guest ${s.guests[0]!.name} .*connected`));
    for (const g of s.guests) {
      const vm = await waitFor(async () => ((await labApi(s, "/api/v1/vms")) as { vms: VmSummary[] }).vms.find((v) => v.vmUuid === g.uuid && v.guestAgents.includes(g.agentId)), 30_000, `vm ${g.name} linked to ${g.agentId}`);
      assert.equal(vm.vm, g.name);
      assert.equal(vm.hostAgent, s.agents[2]);
      assert.equal(vm.accel, s.accel.slice(0, 3));
      // the guest's agent is started without --role: it found itself in a VM (cpuid, DMI) with no /dev/kvm
      const a = (await labApi(s, `/api/v1/agents/${g.agentId}`)) as { agent: { role: string; machineUuid: string } };
      assert.equal(a.agent.role, "guest");
      assert.equal(a.agent.machineUuid, g.uuid);
    }
    const host = (await labApi(s, `/api/v1/agents/${s.agents[2]}`)) as { agent: { role: string } };
    assert.equal(host.agent.role, "host");
  });

  it("run: iperf3 between the guests; the record links both guests to their VMs, shows the host side, netdev within 2 % of iperf3", async () => {
    const p = start(["lab", "vm", "run", ...data(), "--duration-s", "10", "--json"]);
    assert.equal(await p.exited, 0, p.stderr().slice(-3000));
    const rec = parseExact(p.stdout()) as RunRecord;
    assert.deepEqual([...rec.agents].sort(), [...s.agents].sort(), "the guests' agents and the host agent");
    const vms = rec.hostSide?.vms ?? [];
    for (const g of s.guests) {
      const vm = vms.find((v) => v.vm_uuid === g.uuid);
      assert.ok(vm, `the record's host side names ${g.name}'s VM (${g.uuid}): ${JSON.stringify(vms)}`);
      assert.deepEqual(vm.guest_agents, [g.agentId]);
      assert.equal(vm.accel, s.accel.slice(0, 3));
      assert.ok(vm.threads.some((t) => t.kind === "vcpu" && Number(t.run_pct) > 0), `${g.name}: vCPU thread CPU in the window: ${JSON.stringify(vm.threads)}`);
      assert.ok(vm.net.some((n) => Number(n.rx_bytes) > 0 || Number(n.tx_bytes) > 0), `${g.name}: tap counters in the window: ${JSON.stringify(vm.net)}`);
      if (vm.accel === "tcg") assert.equal(vm.exits_reason, "tcg: no KVM exits");
    }
    assert.deepEqual(rec.hostSide?.hostAgents, [s.agents[2]], JSON.stringify(rec.hostSide));
    // the guest's kernel reads the RTC in whole seconds at boot (up to 1 s lost), and -rtc base= takes whole seconds
    // (rounded: +-0.5 s); guest 0 boots on base=utc, so it is 0..1 s behind, guest 1 AHEAD_S -1.5 .. +0.5 s. A TCG
    // guest's clock then drifts, either way: behind while its vCPU waits for the host's CPU (one read 1,166.5 ms
    // behind, 166 ms beyond the RTC's second, a minute or two after boot) and ahead too (guest 1 read 651 ms beyond its
    // +0.5 s on a loaded host, 382 ms of drift allowed; not explained yet, a clock timed at boot on a busy host is one
    // candidate); 0.5 % of the time since the lab started is allowed for it, both ways. What eastwest must do is measure the offset and correct it (below).
    const drift = (Date.now() - upStartedMs) * (s.accel.startsWith("tcg") ? 0.005 : 0);
    const clock = (id: string) => rec.clock?.agents.find((a) => a.agent_id === id);
    const [g0, g1] = [clock(s.guests[0]!.agentId), clock(s.guests[1]!.agentId)];
    assert.ok(g0 && g0.offset_ms !== null && g0.offset_ms > -1100 - drift && g0.offset_ms < 600 + drift, `guest 0's offset: ${JSON.stringify(g0)}, drift allowed ${drift.toFixed(0)} ms`);
    assert.ok(g1 && g1.offset_ms !== null && g1.offset_ms - AHEAD_S * 1000 > -1600 - drift && g1.offset_ms - AHEAD_S * 1000 < 600 + drift, `guest 1's offset: ${JSON.stringify(g1)}, drift allowed ${drift.toFixed(0)} ms`);
    assert.equal(g1.corrected, true);
    assert.equal(g1.applied_offset_ms, g1.offset_ms);
    assert.ok(rec.results!.warnings.some((w) => w.startsWith(`clock: ${s.guests[1]!.agentId}'s clock is off`)), rec.results!.warnings.join("\n"));
    // perf is in the guest image: each guest's agent profiles its own machine, and the measured terms explain most of
    // its iperf3's CPU time per packet (the issue's 80 % target, stated for TCG guests too)
    for (const e of rec.results!.profile?.ends ?? []) {
      assert.equal(e.status, "measured", `${e.role}: ${e.status}`);
      assert.ok((e.explained_fraction ?? 0) >= 0.8, `${e.role}: measured terms explain ${e.explained_fraction} of its CPU per packet`);
    }
    assert.equal(rec.results!.profile?.ends.length, 2);
    const t = rec.results!.throughput;
    assert.ok(Number(t.iperf3_receiver_gbit_s) > 0.01, `throughput ${t.iperf3_receiver_gbit_s} Gbit/s`);
    // netdev's payload lies between what iperf3's receiver read and what its sender wrote, within 2 % (receiverWire)
    const wire = receiverWire(rec.results!);
    assert.ok(wire.ok, `netdev outside what iperf3 read and sent: ${wire.detail}`);
  });

  it("campaign: tx checksum off is worse than the default, and every setting is restored and verified", async () => {
    const spec = join(dir.path, "spec.yaml");
    writeFileSync(spec, SPEC);
    const p = start(["lab", "vm", "campaign", spec, ...data(), "--json"]);
    assert.equal(await p.exited, 0, p.stderr().slice(-3000));
    const rec = parseExact(p.stdout()) as CampaignRecord;
    assert.equal(rec.status, "done");
    const [base, off] = rec.cells;
    assert.equal(off?.cell.id, "tx-checksum-off");
    assert.deepEqual(off.restores.map((r) => r.agentId).sort(), [s.client.agentId, s.server.agentId].sort());
    for (const r of off.restores) assert.ok(r.ok && r.verified, `restore on ${r.agentId}: ${r.detail}`);
    assert.ok(off.result!.throughput.mean! < base!.result!.throughput.mean!, `checksum off ${off.result!.throughput.mean} < default ${base!.result!.throughput.mean}`);
    // the spec says profile: false: no run profiled, and each says why
    assert.ok(rec.cells.every((c) => c.runs.every((r) => r.terms === undefined)));
    const run = (await labApi(s, `/api/v1/records/run/${off.runs[0]!.id}`)) as { doc: { results: { profile: { ends: Array<{ status: string }> } } } };
    assert.deepEqual(run.doc.results.profile.ends.map((e) => e.status), Array(2).fill("unavailable: the run asked for no profile (profile: false)"));
  });

  it("down: stops the lab; no bridge, taps, QEMU, run directory, state, lock or namespace of the run is left", async () => {
    const file = join(dir.path, "lab-vm.json");
    const p = start(["lab", "vm", "down", ...data()]);
    assert.equal(await p.exited, 0, p.stderr());
    assert.match(p.stdout(), /nothing was left behind/);
    assert.equal(await up.exited, 0, up.stderr().slice(-2000));
    assert.deepEqual(await labLeftovers(s), []);
    assert.ok(!existsSync(file), "state file removed");
    assert.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith(`eastwest-lab-vm-${s.tag}-`)), []);
    assert.deepEqual(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").filter((l) => l.includes(s.tag)), []);
  });
});
