// readTasks (agent/src/samplers/vm/vm.proc.ts) on a /proc tree of files: a thread's name is kept for COMM_TTL_MS,
// but a name the thread may still change (its process's own, which every new thread starts with) is read again.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { COMM_TTL_MS, readTasks, type CommEntry } from "../../../agent/src/samplers/vm/vm.proc.ts";
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
});
