// The vm sampler with libvirt-owned guests: the captured QEMU command lines (test/fixtures/libvirt) in a mini /proc,
// and the captured `virsh domstats` output of two ticks 1 s apart given back by exec.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, measurement, type Sample } from "@eastwest/common";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import { tempDir } from "../../helpers/procs.ts";
import { SECOND, T0, ctx, fixture, pointWith } from "./helpers.ts";

const KVM = "ewcap-kvm-32021";
const TCG = "ewcap-qemu-32021";
const KVM_PID = 5229;
const TCG_PID = 2489;

/** The integer value of `key` in the captured text of `domain`. */
function captured(file: string, domain: string, key: string): bigint {
  const block = fixture("libvirt", file).split(/\n\n/).find((b) => b.startsWith(`Domain: '${domain}'`)) ?? "";
  return BigInt(block.split("\n").find((l) => l.trim().startsWith(`${key}=`))?.split("=")[1] ?? "-1");
}

/** A mini /proc with the two captured libvirt QEMU processes, a main and two vCPU threads each. */
function writeProc(root: string): void {
  for (const [pid, cmdline, accel] of [[KVM_PID, "cmdline-kvm", "KVM"], [TCG_PID, "cmdline-tcg", "TCG"]] as const) {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), "cmdline"), fixture("libvirt", cmdline));
    for (const [tid, comm] of [[pid, "qemu-system-x86"], [pid + 1, `CPU 0/${accel}`], [pid + 2, `CPU 1/${accel}`]] as const) {
      mkdirSync(join(root, String(pid), "task", String(tid)), { recursive: true });
      writeFileSync(join(root, String(pid), "task", String(tid), "comm"), `${comm}\n`);
      writeFileSync(join(root, String(pid), "task", String(tid), "schedstat"), "1000 10 1\n");
    }
  }
}

describe("vm sampler: libvirt-owned guests (captured)", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir("vm-libvirt");
    mkdirSync(join(dir.path, "proc"));
    mkdirSync(join(dir.path, "lib"));
    writeProc(join(dir.path, "proc"));
  });
  afterEach(() => dir.remove());

  it("one virsh per tick for both domains: per-vCPU and VM exits, taps as vm_net, the tcg reason once, no QMP", async () => {
    const calls: string[][] = [];
    const exec: Exec = async (file, args) => {
      calls.push([file, ...args]);
      return { stdout: fixture("libvirt", calls.length === 1 ? "domstats-t0.txt" : "domstats-t1.txt"), stderr: "" };
    };
    const s = vmSampler();
    const c = ctx(hostFs(join(dir.path, "proc")), T0, { exec, options: { libvirtDir: join(dir.path, "lib"), libvirtUri: "qemu+ssh://h/system" } });
    const r0 = await s.sample(c);
    const r1 = await s.sample({ ...c, nowNs: T0 + SECOND });
    await s.close?.();

    assert.deepEqual(calls[0], ["virsh", "-c", "qemu+ssh://h/system", "domstats", "--raw", "--vcpu", "--vm", "--interface", "--state", "--", KVM, TCG]);
    assert.equal(calls.length, 2, "one exec per tick");
    assert.deepEqual(r0.errors, ["vm: KVM stats not in the schema, not sent: mmu_kicks_spared, pf_park_timeouts, pf_parked", `vm ${TCG}: unavailable: no KVM stats: VM runs under tcg`]);
    assert.deepEqual(r1.errors, []);

    const info = pointWith(r1.points, "vm_info", "vm", KVM);
    assert.deepEqual([info.tags["vm_uuid"], info.tags["accel"], info.tags["kvm_stats"]], ["4a6e1bbc-951d-4308-99b1-5adecbcdf393", "kvm", "libvirt"]);
    assert.deepEqual(info.fields, { pid: BigInt(KVM_PID), vcpus: 2n, threads: 3n });
    const tcg = pointWith(r1.points, "vm_info", "vm", TCG);
    assert.deepEqual([tcg.tags["accel"], tcg.tags["kvm_stats"]], ["tcg", "unavailable"]);

    const delta = (key: string): bigint => captured("domstats-t1.txt", KVM, key) - captured("domstats-t0.txt", KVM, key);
    const vm = pointWith(r1.points, "vm_kvm", "vm", KVM);
    assert.equal(vm.fields["exits_total"], captured("domstats-t1.txt", KVM, "vcpu.0.exits.sum") + captured("domstats-t1.txt", KVM, "vcpu.1.exits.sum"));
    assert.equal(vm.fields["exits_per_s"], Number(delta("vcpu.0.exits.sum") + delta("vcpu.1.exits.sum")));
    assert.equal(vm.fields["mmu_cache_miss_total"], captured("domstats-t1.txt", KVM, "vm.mmu_cache_miss.sum"));
    const vcpus = r1.points.filter((p) => p.measurement === "vcpu_kvm");
    assert.deepEqual(vcpus.map((p) => [p.tags["vm"], p.tags["vcpu"], p.fields["exits_per_s"]]), [[KVM, "0", Number(delta("vcpu.0.exits.sum"))], [KVM, "1", Number(delta("vcpu.1.exits.sum"))]]);

    const nets = r1.points.filter((p) => p.measurement === "vm_net").map((p) => [p.tags["vm"], p.tags["vm_uuid"], p.tags["iface"], p.fields["rx_bytes_total"], p.fields["tx_packets_per_s"]]);
    assert.deepEqual(nets, [
      [KVM, "4a6e1bbc-951d-4308-99b1-5adecbcdf393", "ewckvm32021", captured("domstats-t1.txt", KVM, "net.0.rx.bytes"), Number(delta("net.0.tx.pkts"))],
      [TCG, "94f27673-1d99-4562-8131-034ea7254b9a", "ewcqemu32021", captured("domstats-t1.txt", TCG, "net.0.rx.bytes"), Number(captured("domstats-t1.txt", TCG, "net.0.tx.pkts") - captured("domstats-t0.txt", TCG, "net.0.tx.pkts"))],
    ]);
    assert.ok(pointWith(r1.points, "vm_thread", "thread", "CPU 1/TCG"), "threads from /proc");

    for (const p of [...r0.points, ...r1.points] as Sample[]) {
      const def = measurement(p.measurement);
      assert.ok(def, p.measurement);
      assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort(), p.measurement);
      for (const f of Object.keys(p.fields)) assert.ok(def.fields[f], `${p.measurement}.${f} is declared`);
    }
  });

  it("virsh output it cannot read is reported once; a guest missing from it falls back and says why", async () => {
    const exec: Exec = async () => ({ stdout: `garbage line\nDomain: '${TCG}'\n  net.0.name=ewcqemu32021\n  net.0.rx.bytes=x\n`, stderr: "" });
    const s = vmSampler();
    const c = ctx(hostFs(join(dir.path, "proc")), T0, { exec, options: { libvirtDir: join(dir.path, "lib") } });
    const r = await s.sample(c);
    await s.close?.();
    assert.deepEqual(r.errors?.slice(0, 2), ['vm: virsh domstats line 1: neither a Domain: line nor an indented key=value: "garbage line"', `vm ${TCG}: net.0.rx.bytes: not an unsigned 64-bit integer: "x"`]);
    assert.match(r.errors?.find((e) => e.startsWith(`vm ${KVM}:`)) ?? "", new RegExp(`^vm ${KVM}: unavailable: libvirt qemu:///system: no running domain "${KVM}"; QMP monitor passed as a file descriptor`));
    assert.equal(pointWith(r.points, "vm_info", "vm", KVM).tags["kvm_stats"], "unavailable");
  });

  it("refuses a libvirtUri that is not a URI", async () => {
    const c = ctx(hostFs(join(dir.path, "proc")), T0, { options: { libvirtUri: "-c /bin/sh" } });
    await assert.rejects(vmSampler().sample(c), (err: unknown) => err instanceof ConfigError && /libvirtUri: expected a libvirt URI/.test(err.message + JSON.stringify(err)));
  });
});
