// The vm sampler's cost per tick for N guests: libvirt-owned (one `virsh domstats` per tick) against hand-started
// QEMU (one short QMP session per guest per tick). Run as root on a KVM host:
//   node test/integration/libvirt/cost.ts [N=4] [TICKS=40]
// Prints per tick: the agent's own CPU (process.cpuUsage), its children's CPU (virsh; /proc/self/stat cutime+cstime),
// and libvirtd's CPU (/proc/<pid>/stat), in ms.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { nowNs } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import { createDomain, ensureLibvirtd, type Domain } from "../../helpers/libvirt.ts";
import { killAll, requireBinary, startProcess, tempDir, waitFor } from "../../helpers/procs.ts";

const N = Number(process.argv[2] ?? 4);
const TICKS = Number(process.argv[3] ?? 40);
const TICK_MS = 1000 / 100; // CLK_TCK

function onlyOurs(pids: readonly number[]): HostFs {
  const fs = hostFs();
  return { ...fs, procDir: async (rel) => (rel === "" ? pids.map(String) : fs.procDir(rel)) };
}

/** utime+stime (own) and cutime+cstime (waited-for children) of `pid`, ms. */
function cpuMs(pid: number | "self"): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { own: ((f[11] ?? 0) + (f[12] ?? 0)) * TICK_MS, children: ((f[13] ?? 0) + (f[14] ?? 0)) * TICK_MS };
}

async function measure(label: string, pids: number[], libvirtd: number | undefined): Promise<void> {
  const s = vmSampler();
  const fs = onlyOurs(pids);
  const ctx = () => ({ nowNs: nowNs(), signal: AbortSignal.timeout(10_000), fs, exec: realExec, baseTags: { agent_id: "a", host: "h", netns: "n" }, options: {} });
  for (let i = 0; i < 3; i++) await s.sample(ctx()); // warm up: discovery, QMP learning
  const node0 = process.cpuUsage();
  const kids0 = cpuMs("self").children;
  const lv0 = libvirtd === undefined ? 0 : cpuMs(libvirtd).own;
  const wall0 = performance.now();
  let exits = 0;
  for (let i = 0; i < TICKS; i++) {
    const r = await s.sample(ctx());
    exits = r.points.filter((p) => p.measurement === "vm_kvm").reduce((a, p) => a + Number(p.fields["exits_per_s"] ?? 0), 0) / N;
    await new Promise((res) => setTimeout(res, 250));
  }
  const wall = (performance.now() - wall0 - TICKS * 250) / TICKS;
  const node = process.cpuUsage(node0);
  const kids = (cpuMs("self").children - kids0) / TICKS;
  const lv = libvirtd === undefined ? 0 : (cpuMs(libvirtd).own - lv0) / TICKS;
  await s.close?.();
  const ms = (node.user + node.system) / 1000 / TICKS;
  console.log(`${label}: N=${N} per tick: agent ${ms.toFixed(2)} ms CPU, children ${kids.toFixed(2)} ms, libvirtd ${lv.toFixed(2)} ms, wall ${wall.toFixed(1)} ms; exits/s per guest ~${exits.toFixed(0)}`);
}

async function main(): Promise<void> {
  const tag = randomBytes(3).toString("hex");
  const daemon = await ensureLibvirtd();
  const domains: Domain[] = [];
  const dir = tempDir("cost-qmp");
  try {
    for (let i = 0; i < N; i++) domains.push(await createDomain({ name: `ewt-cost-${tag}-${i}`, uuid: randomUUID(), type: "kvm", tap: `ewc${tag}${i}` }));
    const libvirtd = Number(readFileSync("/var/run/libvirtd.pid", "utf8").trim());
    await new Promise((res) => setTimeout(res, 3000));
    await measure("libvirt (virsh domstats)", domains.map((d) => d.pid), libvirtd);
    const qemu = requireBinary("qemu-system-x86_64");
    const procs = [];
    for (let i = 0; i < N; i++) {
      const sock = join(dir.path, `q${i}.sock`);
      procs.push(startProcess(qemu, ["-accel", "kvm", "-m", "64", "-smp", "2", "-nographic", "-nodefaults", "-no-user-config", "-display", "none", "-name", `guest=ewt-cost-q${tag}-${i},debug-threads=on`, "-uuid", randomUUID(), "-qmp", `unix:${sock},server=on,wait=off`]));
      await waitFor(() => (existsSync(sock) ? true : undefined), 20_000, sock);
    }
    await new Promise((res) => setTimeout(res, 3000));
    await measure("hand-started (QMP)", procs.map((p) => p.pid), undefined);
  } finally {
    for (const d of domains) await d.destroy();
    await killAll();
    dir.remove();
    await daemon.stop();
  }
}

await main();
