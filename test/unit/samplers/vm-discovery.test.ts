// vm sampler: discovery (libvirt layout, vhost kernel threads, guests coming and going) and QMP monitors that are busy
// or slow. The libvirt tree is hand-written (test/fixtures/qmp/META); the others are built per test in a temp dir.
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import { libvirtDomainDirs } from "../../../agent/src/samplers/vm/vm.libvirt.ts";
import type { SampleResult } from "../../../agent/src/samplers/types.ts";
import { tempDir } from "../../helpers/procs.ts";
import { FIXTURES, SECOND, T0, ctx, fixture, fixtureExec, pointWith } from "./helpers.ts";
import { GUEST_TASKS, guestArgv, listen, writeProc } from "./vm-helpers.ts";

/** A tick's problems ([] when none). */
const errs = (r: SampleResult): string[] => r.errors ?? [];

const LIBVIRT_DIR = join(FIXTURES, "proc-vm", "libvirt-dir");
/** libvirt's client is missing: the sampler falls back to the guest's monitor and debugfs. */
const NO_VIRSH = fixtureExec("none", ["virsh"]).exec;


describe("vm sampler: libvirt layout", () => {
  it("finds the domain directory by short name, newest id first", () => {
    const entries = ["domain-1-web01", "domain-3-web01", "domain-2-db-primary", "domain-4-web011", "qemu.conf"];
    assert.deepEqual(libvirtDomainDirs(entries, "web01"), ["domain-3-web01", "domain-1-web01"]);
    const long = "a-very-long-guest-name-beyond-twenty";
    assert.deepEqual(libvirtDomainDirs(["domain-7-a-very-long-guest-na", "domain-8-a-very-long-guest-name-beyond-twenty"], long), ["domain-7-a-very-long-guest-na"]);
    assert.deepEqual(libvirtDomainDirs(entries, ""), []);
  });

  it("a libvirt guest: monitor.sock under libvirtDir, iothreads, vhost kernel thread, reason once", async () => {
    const s = vmSampler();
    const c = ctx(hostFs(join(FIXTURES, "proc-vm", "libvirt"), join(FIXTURES, "proc-vm", "no-sys")), T0, { exec: NO_VIRSH, options: { libvirtDir: LIBVIRT_DIR } });
    const r = await s.sample(c);
    const again = await s.sample({ ...c, nowNs: T0 + SECOND });
    await s.close?.();
    assert.equal(errs(r).length, 1);
    const monitor = join(LIBVIRT_DIR, "domain-3-web01", "monitor.sock");
    assert.ok(errs(r)[0]?.startsWith(`vm web01: unavailable: libvirt qemu:///system: virsh: not found; QMP ${monitor}: connect ECONNREFUSED`), errs(r)[0]);
    assert.ok(errs(r)[0]?.endsWith("; debugfs: not mounted"), errs(r)[0]);
    assert.deepEqual(errs(again), [], "reported once");
    const info = pointWith(r.points, "vm_info", "vm", "web01");
    assert.deepEqual([info.tags["vm_uuid"], info.tags["accel"], info.tags["kvm_stats"]], ["3f0e7c9a-5b2d-4e8f-9c1a-7d6e5f4a3b21", "kvm", "unavailable"]);
    assert.deepEqual(info.fields, { pid: 4242n, vcpus: 2n, threads: 10n });
    const threads = r.points.filter((p) => p.measurement === "vm_thread").map((p) => `${p.tags["thread_kind"]}:${p.tags["thread"]}:${p.fields["threads"]}`);
    assert.deepEqual(threads, ["vcpu:CPU 0/KVM:1", "vcpu:CPU 1/KVM:1", "io:IO iothread1:1", "io:IO mon_iothread:1", "main:qemu-system-x86:1", "vhost:vhost-4242:1", "other:other:4"]);
    const vhost = pointWith(r.points, "vm_thread", "thread", "vhost-4242");
    assert.equal(vhost.fields["run_ns_total"], BigInt(fixture("proc-vm", "libvirt", "4260", "task", "4260", "schedstat").split(" ")[0] as string));
  });

  it("no monitor anywhere: says where it looked", async () => {
    const s = vmSampler();
    const r = await s.sample(ctx(hostFs(join(FIXTURES, "proc-vm", "libvirt")), T0, { exec: NO_VIRSH, options: { libvirtDir: join(LIBVIRT_DIR, "absent") } }));
    await s.close?.();
    assert.match(errs(r)[0] ?? "", /^vm web01: unavailable: libvirt qemu:\/\/\/system: virsh: not found; QMP monitor passed as a file descriptor \(fd=\), and no monitor.sock for it under .*absent; debugfs: /);
  });
});

describe("vm sampler: guests and monitors that misbehave", () => {
  let dir: ReturnType<typeof tempDir>;
  let proc: string;

  beforeEach(() => {
    dir = tempDir("vm-disc");
    proc = join(dir.path, "proc");
    mkdirSync(proc);
    writeProc(proc, 900, ["sleep", "30"], [[900, "sleep", "1 2 3"]]);
  });

  afterEach(() => dir.remove());

  it("no QEMU: no points, no errors", async () => {
    const s = vmSampler();
    const r = await s.sample(ctx(hostFs(proc), T0));
    await s.close?.();
    assert.deepEqual(r, { points: [], errors: [] });
  });

  it("a monitor that never greets (libvirtd holds it) times out, then backs off", async function () {
    this.timeout(10_000);
    const sock = join(dir.path, "busy.sock");
    const busy = await listen(sock);
    writeProc(proc, 700, guestArgv("held", sock), GUEST_TASKS);
    const s = vmSampler();
    const c = ctx(hostFs(proc), T0, { options: { libvirtDir: dir.path, qmpTimeoutMs: 300 } });
    const r0 = await s.sample(c);
    const r1 = await s.sample({ ...c, nowNs: T0 + SECOND / 2n });
    const r2 = await s.sample({ ...c, nowNs: T0 + 2n * SECOND });
    await s.close?.();
    await busy.close();
    assert.match(errs(r0)[0] ?? "", /^vm held: unavailable: QMP .*busy\.sock: no greeting within 300 ms \(another client holds the monitor\?/);
    assert.deepEqual([errs(r1), errs(r2)], [[], []], "the same reason is not repeated");
    assert.equal(busy.connections(), 2, "no attempt during the back-off, one after it");
    assert.ok(r1.points.some((p) => p.measurement === "vm_thread" && p.tags["thread"] === "CPU 0/KVM"), "threads are sampled meanwhile");
  });

  it("a guest that exits is forgotten, and found again when it comes back", async () => {
    writeProc(proc, 700, guestArgv("g", join(dir.path, "none.sock")), GUEST_TASKS);
    const s = vmSampler();
    const c = ctx(hostFs(proc), T0, { options: { libvirtDir: dir.path, rediscoverMs: 3_600_000 } });
    const r0 = await s.sample(c);
    rmSync(join(proc, "700"), { recursive: true });
    const r1 = await s.sample({ ...c, nowNs: T0 + SECOND });
    writeProc(proc, 701, guestArgv("g", join(dir.path, "none.sock")), [[701, "qemu-system-x86", "1 1 1"]]);
    const r2 = await s.sample({ ...c, nowNs: T0 + 2n * SECOND });
    await s.close?.();
    assert.equal(pointWith(r0.points, "vm_info").fields["pid"], 700n);
    assert.deepEqual(r1.points, []);
    assert.equal(pointWith(r2.points, "vm_info").fields["pid"], 701n);
    assert.match(errs(r2)[0] ?? "", /^vm g: unavailable: QMP .*none\.sock: connect ENOENT/);
  });
});
