// The vm sampler against a real libvirtd (the system's, or one the helper starts) with two transient domains of this
// test's own: type='qemu' (TCG) and type='kvm', each with a NIC on a tap of its own name. libvirtd holds their QMP
// monitors, so the counters come from `virsh domstats`: per-vCPU and per-VM KVM stats of the kvm domain, the tcg
// reason for the other, and both taps' counters as vm_net.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { measurement, nowNs, type Sample } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import type { SampleContext, SampleResult, Sampler } from "../../../agent/src/samplers/types.ts";
import { createDomain, ensureLibvirtd, type Domain, type Libvirtd } from "../../helpers/libvirt.ts";
import { requireBinary, waitFor } from "../../helpers/procs.ts";

const BASE_TAGS = { agent_id: "it-libvirt", host: "it-host", netns: "it-ns" };
const errs = (r: SampleResult): string[] => r.errors ?? [];

/** The real /proc, with discovery limited to this test's guests (other guests on the host are left alone). */
function onlyOurs(pids: readonly number[]): HostFs {
  const fs = hostFs();
  return { ...fs, procDir: async (rel) => (rel === "" ? pids.map(String) : fs.procDir(rel)) };
}

function find(points: readonly Sample[], m: string, tags: Record<string, string>): Sample | undefined {
  return points.find((p) => p.measurement === m && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}

/** A tap's host-side tx bytes (/proc/net/dev): what the guest received. */
function hostTxBytes(tap: string): bigint {
  const line = readFileSync("/proc/net/dev", "utf8").split("\n").find((l) => l.trim().startsWith(`${tap}:`));
  assert.ok(line, `${tap} in /proc/net/dev`);
  return BigInt(line.split(":")[1]?.trim().split(/\s+/)[8] ?? "-1");
}

describe("vm sampler: libvirt-owned guests on a real libvirtd", function () {
  this.timeout(120_000);
  const tag = `${process.pid % 100_000}${randomBytes(2).toString("hex")}`;
  const kvmSpec = { name: `ewt-lv-kvm-${tag}`, uuid: randomUUID(), type: "kvm" as const, tap: `ewlk${tag}`.slice(0, 15) };
  const tcgSpec = { name: `ewt-lv-tcg-${tag}`, uuid: randomUUID(), type: "qemu" as const, tap: `ewlt${tag}`.slice(0, 15) };
  let daemon: Libvirtd | undefined;
  let domains: Domain[] = [];
  let ctx: (options?: Record<string, unknown>) => SampleContext;
  const samplers: Sampler[] = [];
  const sampler = (): Sampler => {
    const s = vmSampler();
    samplers.push(s);
    return s;
  };

  before(async () => {
    requireBinary("qemu-system-x86_64");
    assert.ok(existsSync("/dev/kvm"), "this test needs /dev/kvm (a type='kvm' domain)");
    daemon = await ensureLibvirtd();
    domains.push(await createDomain(kvmSpec));
    domains.push(await createDomain(tcgSpec));
    const fs = onlyOurs(domains.map((d) => d.pid));
    ctx = (options = {}) => ({ nowNs: nowNs(), signal: AbortSignal.timeout(10_000), fs, exec: realExec, baseTags: BASE_TAGS, options });
  });

  after(async () => {
    for (const s of samplers) await s.close?.();
    for (const d of domains) await d.destroy();
    domains = [];
    await daemon?.stop();
  });

  it("KVM counters per vCPU and per VM from libvirt, the tcg reason, both taps as vm_net, domain name and uuid as tags", async () => {
    const s = sampler();
    const first = await s.sample(ctx());
    const exits = (r: SampleResult, m: string, tags: Record<string, string>): bigint => (find(r.points, m, { vm: kvmSpec.name, ...tags })?.fields["exits_total"] as bigint | undefined) ?? -1n;
    const second = await waitFor(async () => {
      const r = await s.sample(ctx());
      return exits(r, "vcpu_kvm", { vcpu: "0" }) > exits(first, "vcpu_kvm", { vcpu: "0" }) ? r : undefined;
    }, 30_000, "vCPU 0's exits to rise");

    const kvmInfo = find(second.points, "vm_info", { vm: kvmSpec.name });
    assert.deepEqual([kvmInfo?.tags["vm_uuid"], kvmInfo?.tags["accel"], kvmInfo?.tags["kvm_stats"]], [kvmSpec.uuid, "kvm", "libvirt"], JSON.stringify(errs(first)));
    assert.equal(kvmInfo?.fields["pid"], BigInt(domains[0]?.pid ?? 0));
    assert.ok(exits(first, "vcpu_kvm", { vcpu: "0" }) > 0n, "vCPU 0 has exited to the host");
    const vm = find(second.points, "vm_kvm", { vm: kvmSpec.name, vm_uuid: kvmSpec.uuid });
    assert.equal(vm?.fields["exits_total"], exits(second, "vcpu_kvm", { vcpu: "0" }) + exits(second, "vcpu_kvm", { vcpu: "1" }));
    assert.ok(typeof vm?.fields["exits_per_s"] === "number" && vm.fields["exits_per_s"] > 0, "exits_per_s");
    assert.ok(typeof vm?.fields["insn_emulation_total"] === "bigint", "insn_emulation_total");
    assert.ok(!errs(first).some((e) => e.startsWith(`vm ${kvmSpec.name}:`)), errs(first).join("\n"));

    const tcgInfo = find(second.points, "vm_info", { vm: tcgSpec.name });
    assert.deepEqual([tcgInfo?.tags["vm_uuid"], tcgInfo?.tags["accel"], tcgInfo?.tags["kvm_stats"]], [tcgSpec.uuid, "tcg", "unavailable"]);
    assert.ok(errs(first).includes(`vm ${tcgSpec.name}: unavailable: no KVM stats: VM runs under tcg`), errs(first).join("\n"));
    assert.equal(find(second.points, "vm_kvm", { vm: tcgSpec.name }), undefined);
    assert.ok(find(second.points, "vm_thread", { vm: tcgSpec.name, thread: "CPU 0/TCG" }), "threads from /proc");

    for (const spec of [kvmSpec, tcgSpec]) {
      const net = find(second.points, "vm_net", { vm: spec.name, vm_uuid: spec.uuid, iface: spec.tap });
      assert.ok(net, `vm_net for ${spec.tap}: ${JSON.stringify(second.points.filter((p) => p.measurement === "vm_net").map((p) => p.tags))}`);
      assert.equal(typeof net.fields["rx_packets_total"], "bigint");
      assert.equal(typeof net.fields["tx_bytes_per_s"], "number");
    }
    // The guest's rx is the tap's host-side tx (libvirt turns the tap's directions round).
    await waitFor(async () => {
      const r = await s.sample(ctx());
      const rx = find(r.points, "vm_net", { iface: tcgSpec.tap })?.fields["rx_bytes_total"];
      return rx === hostTxBytes(tcgSpec.tap) ? true : undefined;
    }, 20_000, "vm_net rx_bytes_total = the tap's host tx bytes");

    for (const p of [...first.points, ...second.points]) {
      const def = measurement(p.measurement);
      assert.ok(def, p.measurement);
      assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort(), p.measurement);
      for (const f of Object.keys(p.fields)) assert.ok(def.fields[f], `${p.measurement}.${f} is declared`);
    }
  });

  it("libvirtd out of reach: a clear problem per guest, threads still from /proc", async () => {
    const uri = `qemu+unix:///system?socket=/nonexistent-${tag}/libvirt-sock`;
    const r = await sampler().sample(ctx({ libvirtUri: uri }));
    const said = errs(r).find((e) => e.startsWith(`vm ${kvmSpec.name}: unavailable: libvirt ${uri}: virsh domstats: `));
    assert.ok(said?.includes("No such file or directory"), errs(r).join("\n"));
    assert.equal(find(r.points, "vm_info", { vm: kvmSpec.name })?.tags["kvm_stats"], "unavailable");
    assert.equal(find(r.points, "vcpu_kvm", { vm: kvmSpec.name }), undefined);
    assert.ok(find(r.points, "vm_thread", { vm: kvmSpec.name, thread: "CPU 0/KVM" }), "threads from /proc");
  });
});
