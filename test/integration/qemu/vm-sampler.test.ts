// The vm sampler against real QEMU guests: one under -accel kvm (live KVM exit counters over QMP query-stats), one
// under -accel tcg (found, but no KVM stats, with the reason). The guests have no disk: the BIOS runs, that is enough.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { measurement, nowNs, type Sample } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import type { SampleContext, SampleResult, Sampler } from "../../../agent/src/samplers/types.ts";
import { requireBinary, startProcess, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

/** A tick's problems ([] when none). */
const errs = (r: SampleResult): string[] => r.errors ?? [];

const BASE_TAGS = { agent_id: "it-vm", host: "it-host", netns: "it-ns" };

function startGuest(qemu: string, accel: string, name: string, uuid: string, sock: string): Proc {
  return startProcess(qemu, [
    "-accel", accel, "-m", "64", "-smp", "2", "-nographic", "-nodefaults", "-no-user-config", "-display", "none",
    "-name", `guest=${name},debug-threads=on`, "-uuid", uuid, "-qmp", `unix:${sock},server=on,wait=off`,
  ]);
}

/** The real /proc and /sys, with discovery limited to the guests this test started (other guests on the host are left alone). */
function onlyOurs(pids: readonly number[]): HostFs {
  const fs = hostFs();
  return { ...fs, procDir: async (rel) => (rel === "" ? pids.map(String) : fs.procDir(rel)) };
}

function find(points: readonly Sample[], m: string, tags: Record<string, string>): Sample | undefined {
  return points.find((p) => p.measurement === m && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}

describe("vm sampler: real QEMU guests", function () {
  this.timeout(60_000);
  const kvmName = `ewt-kvm-${process.pid}`;
  const tcgName = `ewt-tcg-${process.pid}`;
  const kvmUuid = randomUUID();
  let dir: ReturnType<typeof tempDir>;
  let guests: Proc[] = [];
  let sampler: Sampler;
  let ctx: () => SampleContext;

  before(async () => {
    const qemu = requireBinary("qemu-system-x86_64");
    assert.ok(existsSync("/dev/kvm"), "this test needs /dev/kvm (-accel kvm)");
    dir = tempDir("vm-qemu");
    guests = [
      startGuest(qemu, "kvm", kvmName, kvmUuid, join(dir.path, "kvm.sock")),
      startGuest(qemu, "tcg", tcgName, randomUUID(), join(dir.path, "tcg.sock")),
    ];
    for (const [g, sock] of [[guests[0], "kvm.sock"], [guests[1], "tcg.sock"]] as const) {
      await waitFor(() => {
        if (g?.child.exitCode !== null) throw new Error(`process exited ${g?.child.exitCode}: ${g?.stderr()}`);
        return existsSync(join(dir.path, sock)) ? true : undefined;
      }, 20_000, `the QMP socket ${sock}`);
    }
    const fs = onlyOurs(guests.map((g) => g.pid));
    ctx = () => ({ nowNs: nowNs(), signal: AbortSignal.timeout(5000), fs, exec: realExec, baseTags: BASE_TAGS, options: {} });
    sampler = vmSampler();
  });

  after(async () => {
    await sampler?.close?.();
    for (const g of guests) await g.kill("SIGKILL");
    dir?.remove();
  });

  it("finds both guests; the kvm guest's exits rise per VM and per vCPU; the tcg guest says why it has none", async () => {
    assert.deepEqual(await sampler.init?.(ctx()), { available: true });
    const exits = (r: { points: Sample[] }, tags: Record<string, string>, m = "vm_kvm"): bigint => (find(r.points, m, { vm: kvmName, ...tags })?.fields["exits_total"] as bigint | undefined) ?? -1n;
    // Every tick's problems, in order. Under load a QMP session may outlast a tick ("pending"): such a tick has no KVM
    // counters and says so once; the next has them.
    const said: string[] = [];
    const tick = async () => {
      const r = await sampler.sample(ctx());
      said.push(...errs(r));
      return r;
    };
    const first = await waitFor(async () => {
      const r = await tick();
      return exits(r, {}) >= 0n && exits(r, { vcpu: "0" }, "vcpu_kvm") >= 0n ? r : undefined;
    }, 20_000, `a vm_kvm point for ${kvmName} (said: ${JSON.stringify(said)})`);
    for (const e of said) assert.ok(e.includes(tcgName) || e.startsWith(`vm ${kvmName}: QMP slower than the tick`) || e.startsWith("vm: KVM stats not in the schema"), e);
    // Sample again once the guest has exited to the host since the first sample (~1 s here).
    const second = await waitFor(async () => {
      const r = await tick();
      return exits(r, {}) > exits(first, {}) && exits(r, { vcpu: "0" }, "vcpu_kvm") > exits(first, { vcpu: "0" }, "vcpu_kvm") ? r : undefined;
    }, 20_000, "exits_total to rise");
    const tcgReason = `vm ${tcgName}: unavailable: no KVM stats: VM runs under tcg`;
    if (!said.includes(tcgReason)) await waitFor(async () => ((await tick(), said.includes(tcgReason)) ? true : undefined), 20_000, `the tcg guest's reason (said: ${JSON.stringify(said)})`);
    assert.equal(said.filter((e) => e.includes(tcgName)).length, 1, `the tcg guest's reason, said once: ${JSON.stringify(said)}`);

    const info = find(second.points, "vm_info", { vm: kvmName });
    assert.deepEqual([info?.tags["vm_uuid"], info?.tags["accel"], info?.tags["kvm_stats"]], [kvmUuid, "kvm", "qmp"]);
    assert.equal(info?.fields["pid"], BigInt(guests[0]?.pid ?? 0));
    assert.equal(info?.fields["vcpus"], 2n);
    assert.equal(typeof find(second.points, "vm_kvm", { vm: kvmName })?.fields["exits_per_s"], "number");
    for (const vcpu of ["0", "1"]) assert.ok(exits(second, { vcpu }, "vcpu_kvm") >= 0n, `vcpu_kvm for vCPU ${vcpu}`);
    for (const thread of ["CPU 0/KVM", "CPU 1/KVM"]) {
      const t = find(second.points, "vm_thread", { vm: kvmName, thread_kind: "vcpu", thread });
      assert.ok(typeof t?.fields["run_ns_total"] === "bigint" && t.fields["run_ns_total"] > 0n, `vm_thread ${thread}`);
    }

    const tcg = find(second.points, "vm_info", { vm: tcgName });
    assert.deepEqual([tcg?.tags["accel"], tcg?.tags["kvm_stats"]], ["tcg", "unavailable"]);
    assert.equal(find(second.points, "vm_kvm", { vm: tcgName }), undefined);
    assert.ok(find(second.points, "vm_thread", { vm: tcgName, thread: "CPU 0/TCG" }), "the tcg guest's vCPU thread");

    for (const p of [...first.points, ...second.points]) {
      const def = measurement(p.measurement);
      assert.ok(def, p.measurement);
      assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort(), p.measurement);
      for (const f of Object.keys(p.fields)) assert.ok(def.fields[f], `${p.measurement}.${f} is declared`);
    }
  });
});
