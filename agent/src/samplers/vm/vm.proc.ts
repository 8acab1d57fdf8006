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

/**
 * The tasks of process `pid` (comm from `comms`, a per-process cache, read once per thread) plus the vhost kernel
 * threads `extra`. Throws when the process is gone (its task directory vanished).
 */
export async function readTasks(ctx: SampleContext, pid: number, extra: readonly number[], comms: Map<number, string>): Promise<Task[]> {
  const tids = (await ctx.fs.procDir(`${pid}/task`)).filter((d) => PID.test(d)).map(Number);
  const paths = [...tids.map((tid) => ({ tid, dir: `${pid}/task/${tid}` })), ...extra.map((tid) => ({ tid, dir: `${tid}` }))];
  const seen = new Set<number>();
  const tasks = await mapLimit(paths, 8, async ({ tid, dir }): Promise<Task | undefined> => {
    seen.add(tid);
    const comm = comms.get(tid) ?? (await quiet(() => ctx.fs.proc(`${dir}/comm`)))?.trim();
    const sched = parseSchedstat((await quiet(() => ctx.fs.proc(`${dir}/schedstat`))) ?? "");
    if (comm === undefined || sched === undefined) return undefined;
    comms.set(tid, comm);
    return { tid, comm, sched };
  });
  for (const tid of comms.keys()) if (!seen.has(tid)) comms.delete(tid);
  return tasks.filter((t): t is Task => t !== undefined);
}
