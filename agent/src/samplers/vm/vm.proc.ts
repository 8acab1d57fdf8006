// Reading QEMU processes and their threads through ctx.fs (/proc).
import type { SampleContext } from "../types.ts";
import { mapLimit } from "../shared/sources.ts";
import { isQemu, splitCmdline } from "./vm.cmdline.ts";
import { parseSchedstat, type Task } from "./vm.threads.ts";

export interface ProcScan {
  /** QEMU processes: pid and argv. */
  qemus: Array<{ pid: number; argv: string[] }>;
  /** Kernel threads "vhost-<qemu pid>" (vhost workers before Linux 6.4) by QEMU pid. */
  vhost: Map<number, number[]>;
}

const PID = /^\d+$/;
const VHOST = /^vhost-(\d+)$/;

/** `fn`, or undefined when the file vanished with its process (ENOENT, ESRCH) or is unreadable. */
async function quiet<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

/**
 * One pass over /proc: every process's cmdline; a kernel thread (empty cmdline) also its comm, for vhost workers.
 * Processes that exit meanwhile are skipped.
 */
export async function scanProc(ctx: SampleContext): Promise<ProcScan> {
  const pids = (await ctx.fs.procDir("")).filter((d) => PID.test(d)).map(Number);
  const scan: ProcScan = { qemus: [], vhost: new Map() };
  await mapLimit(pids, 16, async (pid) => {
    const raw = await quiet(() => ctx.fs.proc(`${pid}/cmdline`));
    if (raw === undefined) return;
    if (raw !== "") {
      const argv = splitCmdline(raw);
      if (isQemu(argv)) scan.qemus.push({ pid, argv });
      return;
    }
    const owner = VHOST.exec(((await quiet(() => ctx.fs.proc(`${pid}/comm`))) ?? "").trim())?.[1];
    if (owner !== undefined) scan.vhost.set(Number(owner), [...(scan.vhost.get(Number(owner)) ?? []), pid]);
  });
  scan.qemus.sort((a, b) => a.pid - b.pid);
  return scan;
}

/** A thread's name as read, and when (ms). */
export interface CommEntry {
  comm: string;
  atMs: number;
}

/** How long a thread's name is kept before it is read again: a thread may rename itself at any time. */
export const COMM_TTL_MS = 30_000;

/**
 * The tasks of process `pid` plus the vhost kernel threads `extra`, their names from `comms` (a per-process cache)
 * where read within COMM_TTL_MS. A thread named as its process is read again each time: every thread starts with
 * its creator's name, and QEMU renames its vCPU and IO threads just after making them ("CPU 0/KVM"); kept, a name
 * read in between would hide the vCPU thread for good (a guest that was just started, sampled on a busy host).
 * Each task carries when its schedstat was read, by the context's readClock (the monotonic clock when it has none).
 * Throws when the process is gone (its task directory vanished).
 */
export async function readTasks(ctx: SampleContext, pid: number, extra: readonly number[], comms: Map<number, CommEntry>, nowMs = Date.now()): Promise<Task[]> {
  const clock = ctx.readClock?.bind(ctx) ?? (() => process.hrtime.bigint());
  const tids = (await ctx.fs.procDir(`${pid}/task`)).filter((d) => PID.test(d)).map(Number);
  const paths = [...tids.map((tid) => ({ tid, dir: `${pid}/task/${tid}` })), ...extra.map((tid) => ({ tid, dir: `${tid}` }))];
  const seen = new Set<number>();
  const fresh = new Set<number>();
  const tasks = await mapLimit(paths, 8, async ({ tid, dir }): Promise<Task | undefined> => {
    seen.add(tid);
    const kept = comms.get(tid);
    const comm = kept !== undefined && nowMs - kept.atMs < COMM_TTL_MS ? kept.comm : (fresh.add(tid), (await quiet(() => ctx.fs.proc(`${dir}/comm`)))?.trim());
    const sched = parseSchedstat((await quiet(() => ctx.fs.proc(`${dir}/schedstat`))) ?? "");
    const readNs = clock();
    if (comm === undefined || sched === undefined) return undefined;
    return { tid, comm, sched, readNs };
  });
  const found = tasks.filter((t): t is Task => t !== undefined);
  const own = found.find((t) => t.tid === pid)?.comm;
  for (const t of found) if (fresh.has(t.tid) && (t.tid === pid || t.comm !== own)) comms.set(t.tid, { comm: t.comm, atMs: nowMs });
  for (const tid of comms.keys()) if (!seen.has(tid)) comms.delete(tid);
  return found;
}
