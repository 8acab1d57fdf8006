// The host side of real QEMU guests: a TCG guest on a tap that QEMU creates itself (its command line names no
// interface, so the tap is found through the process's /dev/net/tun descriptor), and a guest under -accel kvm whose
// exits the vm sampler counts over QMP while the kvmexits sampler counts the kvm:kvm_exit tracepoint with perf: the
// two sources are compared (on this machine the tracepoint counts 0, and the comparison says it does not work).
// The guests have no disk: the BIOS runs (and the NIC's boot ROM asks for DHCP on the tap).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { nowNs, type Sample } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { ExitBoard } from "../../../agent/src/samplers/kvmexits/exit-board.ts";
import { kvmexitsSampler } from "../../../agent/src/samplers/kvmexits/kvmexits.sampler.ts";
import { findTaps } from "../../../agent/src/samplers/vm/vm.taps.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import type { SampleContext, Sampler } from "../../../agent/src/samplers/types.ts";
import { requireBinary, startProcess, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

const BASE_TAGS = { agent_id: "it-vmhost", host: "it-host", netns: "it-ns" };

/** The real /proc and /sys, with discovery limited to the guests this test started. */
function onlyOurs(pids: readonly number[]): HostFs {
  const fs = hostFs();
  return { ...fs, procDir: async (rel) => (rel === "" ? pids.map(String) : fs.procDir(rel)) };
}

function find(points: readonly Sample[], m: string, tags: Record<string, string>): Sample | undefined {
  return points.find((p) => p.measurement === m && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}

async function qmpReady(g: Proc, sock: string): Promise<void> {
  await waitFor(() => {
    if (g.child.exitCode !== null) throw new Error(`process exited ${g.child.exitCode}: ${g.stderr()}`);
    return existsSync(sock) ? true : undefined;
  }, 20_000, `the QMP socket ${sock}`);
}

describe("vm sampler on the host: taps, threads, and the exit sources compared", function () {
  this.timeout(120_000);
  const tcgName = `ewt-tap-${process.pid}`;
  const kvmName = `ewt-exits-${process.pid}`;
  let dir: ReturnType<typeof tempDir>;
  let guests: Proc[] = [];
  let fs: HostFs;
  const ctx = (intervalMs = 1000): SampleContext => ({ nowNs: nowNs(), signal: AbortSignal.timeout(intervalMs), fs, exec: realExec, baseTags: BASE_TAGS, options: {}, intervalMs });

  before(async () => {
    const qemu = requireBinary("qemu-system-x86_64");
    assert.ok(existsSync("/dev/kvm"), "this test needs /dev/kvm (-accel kvm)");
    assert.ok(existsSync("/dev/net/tun"), "this test needs /dev/net/tun");
    dir = tempDir("vm-host");
    const common = ["-m", "64", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-display", "none"];
    guests = [
      // why no ifname=: QEMU asks the kernel for a free tapN, which goes away with it; only fdinfo can name it.
      startProcess(qemu, ["-accel", "tcg", ...common, "-name", `guest=${tcgName},debug-threads=on`, "-uuid", randomUUID(), "-qmp", `unix:${join(dir.path, "tcg.sock")},server=on,wait=off`, "-netdev", "tap,id=n0,script=no,downscript=no,vhost=off", "-device", "virtio-net-pci,netdev=n0"]),
      startProcess(qemu, ["-accel", "kvm", ...common, "-name", `guest=${kvmName},debug-threads=on`, "-uuid", randomUUID(), "-qmp", `unix:${join(dir.path, "kvm.sock")},server=on,wait=off`]),
    ];
    await qmpReady(guests[0] as Proc, join(dir.path, "tcg.sock"));
    await qmpReady(guests[1] as Proc, join(dir.path, "kvm.sock"));
    fs = onlyOurs(guests.map((g) => g.pid));
  });

  after(async () => {
    for (const g of guests) await g.kill("SIGKILL");
    dir?.remove();
  });

  it("a TCG guest: found with the reason, its tap found by fdinfo in vm_net, its vCPU thread's CPU in vm_thread", async () => {
    const taps = await findTaps(ctx(), guests[0]?.pid ?? 0, []);
    assert.equal(taps.how, "fdinfo");
    assert.equal(taps.ifaces.length, 1);
    const tap = taps.ifaces[0] as string;
    assert.ok(existsSync(`/sys/class/net/${tap}`), `${tap} exists`);
    // why: QEMU creates it down (no script); a down tap drops what the guest sends.
    execFileSync(requireBinary("ip"), ["link", "set", "dev", tap, "up"]);
    const s = vmSampler(new ExitBoard());
    const first = await s.sample(ctx());
    assert.ok((first.errors ?? []).includes(`vm ${tcgName}: unavailable: no KVM stats: VM runs under tcg`), (first.errors ?? []).join("\n"));
    const info = find(first.points, "vm_info", { vm: tcgName });
    assert.deepEqual([info?.tags["accel"], info?.tags["kvm_stats"]], ["tcg", "unavailable"]);
    // the guest's boot ROM sends DHCP requests on its NIC: the tap receives them
    const later = await waitFor(async () => {
      const r = await s.sample(ctx());
      const net = find(r.points, "vm_net", { vm: tcgName, iface: tap });
      const cpu = find(r.points, "vm_thread", { vm: tcgName, thread: "CPU 0/TCG" });
      return net !== undefined && (net.fields["rx_packets_total"] as bigint) > 0n && typeof net.fields["rx_packets_per_s"] === "number" && typeof cpu?.fields["run_pct"] === "number" ? r : undefined;
    }, 60_000, "vm_net counters with rates and vCPU thread CPU");
    await s.close?.();
    const net = find(later.points, "vm_net", { vm: tcgName, iface: tap });
    assert.equal(net?.tags["vm_uuid"], info?.tags["vm_uuid"]);
    const cpu = find(later.points, "vm_thread", { vm: tcgName, thread: "CPU 0/TCG" })?.fields["run_pct"] as number;
    assert.ok(cpu > 0 && cpu <= 101, `vCPU thread ${cpu} %`);
    console.log(`      TCG guest: tap ${tap} (fdinfo), rx ${net?.fields["rx_packets_total"]} packets, vCPU thread ${cpu.toFixed(1)} %`);
  });

  it("a KVM guest: exits from QMP; the kvm:kvm_exit tracepoint compared with them (counting 0 here: not working)", async () => {
    requireBinary("perf");
    const board = new ExitBoard();
    const vm = vmSampler(board);
    const perf = kvmexitsSampler({ board });
    const init = await perf.init?.(ctx());
    assert.deepEqual(init, { available: true }, "perf counts kvm:kvm_exit here (as 0)");
    const problems: string[] = [];
    const tick = async (s: Sampler) => {
      const r = await s.sample(ctx());
      problems.push(...(r.errors ?? []));
      return r.points;
    };
    let qmpPerS = 0;
    const check = await waitFor(async () => {
      const v = await tick(vm);
      const perS = find(v, "vm_kvm", { vm: kvmName })?.fields["exits_per_s"];
      if (typeof perS === "number") qmpPerS = perS;
      return find(await tick(perf), "kvm_exit_sources", {});
    }, 60_000, "a kvm_exit_sources point");
    await vm.close?.();
    await perf.close?.();
    assert.ok(qmpPerS > 0, `QMP counts exits: ${qmpPerS}/s`);
    const f = check.fields;
    assert.equal(f["vms"], 1n);
    assert.ok((f["vm_exits_per_s"] as number) >= 10, `the guest exits: ${f["vm_exits_per_s"]}/s`);
    const tp = f["tracepoint_exits_per_s"] as number;
    if (tp === 0) {
      assert.equal(f["tracepoint_working"], false);
      assert.ok(problems.some((p) => /^kvmexits: not working: perf kvm:kvm_exit counted 0 while QMP\/debugfs counted [\d,]+ exits\/s on 1 guest\(s\)$/.test(p)), problems.join("\n"));
    } else assert.equal(f["agree"], Math.abs(tp - (f["vm_exits_per_s"] as number)) / Math.max(tp, f["vm_exits_per_s"] as number) <= 0.1);
    console.log(`      KVM guest: QMP ${Math.round(f["vm_exits_per_s"] as number)} exits/s, perf kvm:kvm_exit ${Math.round(tp)} exits/s over ${(Number(f["window_ns"]) / 1e9).toFixed(1)} s`);
  });
});
