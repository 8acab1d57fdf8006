// readTasks (agent/src/samplers/vm/vm.proc.ts) on a /proc tree of files: a thread's name is kept for COMM_TTL_MS,
// but a name the thread may still change (its process's own, which every new thread starts with) is read again; each
// task carries when it was read, and a thread's run share is over the time between its own reads, not the ticks'.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { RateMemory } from "../../../agent/src/samplers/shared/rates.ts";
import type { Guest } from "../../../agent/src/samplers/vm/vm.discover.ts";
import { guestPoints } from "../../../agent/src/samplers/vm/vm.points.ts";
import { COMM_TTL_MS, readTasks, type CommEntry } from "../../../agent/src/samplers/vm/vm.proc.ts";
import { groupThreads, type Task } from "../../../agent/src/samplers/vm/vm.threads.ts";
import { tempDir } from "../../helpers/procs.ts";
import { ctx } from "./helpers.ts";

describe("vm sampler: a guest's threads and their names", () => {
  const dir = tempDir("vm-proc");
  after(() => dir.remove());
  const proc = join(dir.path, "proc");
  const thread = (tid: number, comm: string, runNs: number) => {
    mkdirSync(join(proc, "100", "task", String(tid)), { recursive: true });
    writeFileSync(join(proc, "100", "task", String(tid), "comm"), `${comm}\n`);
    writeFileSync(join(proc, "100", "task", String(tid), "schedstat"), `${runNs} 0 1\n`);
  };

  it("a vCPU thread read before QEMU named it is named at the next read; a named one is kept until COMM_TTL_MS", async () => {
    thread(100, "qemu-system-x86", 10);
    thread(101, "qemu-system-x86", 20); // the vCPU thread, not yet renamed
    thread(102, "IO mon_iothread", 30);
    const c = ctx(hostFs(proc, join(dir.path, "sys")), 1n);
    const comms = new Map<number, CommEntry>();
    const names = async (nowMs: number) => (await readTasks(c, 100, [], comms, nowMs)).map((t) => `${t.tid} ${t.comm}`).sort();
    assert.deepEqual(await names(0), ["100 qemu-system-x86", "101 qemu-system-x86", "102 IO mon_iothread"]);
    thread(101, "CPU 0/KVM", 25);
    thread(102, "IO renamed", 35);
    assert.deepEqual(await names(1000), ["100 qemu-system-x86", "101 CPU 0/KVM", "102 IO mon_iothread"], "the process's own name is read again; a thread's own name is kept");
    assert.deepEqual(await names(COMM_TTL_MS + 1), ["100 qemu-system-x86", "101 CPU 0/KVM", "102 IO renamed"], "read again after COMM_TTL_MS");
  });

  it("each task says when it was read; a group's read time is its tasks' mean", async () => {
    const c = ctx(hostFs(proc, join(dir.path, "sys")), 1n);
    const before = process.hrtime.bigint();
    const tasks = await readTasks(c, 100, [], new Map());
    const after = process.hrtime.bigint();
    for (const t of tasks) assert.ok(t.readNs !== undefined && t.readNs >= before && t.readNs <= after, `${t.tid}: ${t.readNs}`);
    const other: Task[] = [1, 2, 3].map((i) => ({ tid: 200 + i, comm: "worker", sched: { runNs: 1n, waitNs: 0n, timeslices: 1n }, readNs: BigInt(i) * 10n }));
    assert.equal(groupThreads(other, 100, new Map())[0]?.readNs, 20n);
    assert.equal(groupThreads([...other, { tid: 210, comm: "worker", sched: { runNs: 1n, waitNs: 0n, timeslices: 1n } }], 100, new Map())[0]?.readNs, undefined, "a task without a read time: none");
  });

  it("a vCPU thread running all the time is at 100 % however late each tick's read was", () => {
    const memory = new RateMemory(64);
    const guest = { pid: 100, name: "g", uuid: "u" } as Guest;
    const kvm = { kind: "unavailable", accel: "tcg", vcpuTids: new Map() } as const;
    const tick = (nowS: number, readS: number) => {
      const readNs = BigInt(Math.round(readS * 1e9));
      // always on a CPU: its run time grows with the clock it is read by
      const threads = groupThreads([{ tid: 101, comm: "CPU 0/TCG", sched: { runNs: readNs, waitNs: 0n, timeslices: 1n }, readNs }], 100, new Map());
      return guestPoints(ctx(hostFs(proc, join(dir.path, "sys")), BigInt(nowS) * 1_000_000_000n), memory, { guest, kvm, threads, tasks: 1, nets: [] });
    };
    tick(10, 10.02);
    // the next tick's read came 80 ms late: between ticks 1 s, between reads 1.06 s
    const points = tick(11, 11.08);
    const run = points.find((p) => p.measurement === "vm_thread")?.fields["run_pct"] as number;
    assert.ok(Math.abs(run - 100) < 1e-9, `run_pct ${run}`);
  });
});

