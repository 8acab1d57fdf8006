// Pure: /proc/<pid>/task/<tid>/schedstat parsing and classification of a guest's threads into bounded series.
import { naturalCompare } from "@eastwest/common";

export interface SchedStat {
  /** Time on a CPU, ns. */
  runNs: bigint;
  /** Time runnable but waiting for a CPU, ns. */
  waitNs: bigint;
  /** Times scheduled in. */
  timeslices: bigint;
}

export interface Task {
  tid: number;
  comm: string;
  sched: SchedStat;
  /**
   * When its schedstat was read (a monotonic clock, ns). why: a thread's share of the interval is its run time over
   * the time between its own reads; the tick's time is off by however late the read was, which on a busy host is
   * tens of ms and differs from tick to tick (a vCPU at 100 % showed 105 %).
   */
  readNs?: bigint;
}

export type ThreadKind = "vcpu" | "io" | "main" | "vhost" | "other";

/** One vm_thread series: the tasks of one kind and name, summed. */
export interface ThreadGroup {
  kind: ThreadKind;
  /** The thread's comm; "other" for the catch-all group. */
  name: string;
  threads: number;
  sched: SchedStat;
  /** The mean of its tasks' read times when every task has one (Task.readNs). */
  readNs?: bigint;
}

/** "<run ns> <wait ns> <timeslices>\n" (kernel/sched/stats.c); undefined when malformed. */
export function parseSchedstat(text: string): SchedStat | undefined {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return { runNs: BigInt(m[1] as string), waitNs: BigInt(m[2] as string), timeslices: BigInt(m[3] as string) };
}

// why: QEMU names threads only with -name debug-threads=on: "CPU n/KVM" (or /TCG, /HVF), "IO <iothread id>".
const VCPU_COMM = /^CPU \d+\/[A-Z]+$/;

/**
 * The kind and series name of one task. `vcpuTids` maps vCPU thread ids (QMP query-cpus-fast) to cpu-index, so vCPUs
 * are found without debug-threads too; a task named "vhost-<pid>" is a vhost worker (in-process since Linux 6.4).
 */
export function classifyThread(comm: string, tid: number, pid: number, vcpuTids: ReadonlyMap<number, number>): { kind: ThreadKind; name: string } {
  if (VCPU_COMM.test(comm)) return { kind: "vcpu", name: comm };
  const index = vcpuTids.get(tid);
  if (index !== undefined) return { kind: "vcpu", name: `CPU ${index}` };
  if (comm.startsWith("IO ") || comm.startsWith("iothread")) return { kind: "io", name: comm };
  if (comm === `vhost-${pid}`) return { kind: "vhost", name: comm };
  if (tid === pid) return { kind: "main", name: comm };
  return { kind: "other", name: "other" };
}

const ORDER: readonly ThreadKind[] = ["vcpu", "io", "main", "vhost", "other"];

/** Tasks summed per (kind, name), in kind order, then by name (vCPUs numerically). */
export function groupThreads(tasks: readonly Task[], pid: number, vcpuTids: ReadonlyMap<number, number>): ThreadGroup[] {
  const groups = new Map<string, ThreadGroup>();
  const readSums = new Map<ThreadGroup, bigint | undefined>();
  for (const t of tasks) {
    const { kind, name } = classifyThread(t.comm, t.tid, pid, vcpuTids);
    const key = `${kind}\0${name}`;
    let g = groups.get(key);
    if (g === undefined) {
      groups.set(key, (g = { kind, name, threads: 1, sched: { ...t.sched } }));
      readSums.set(g, t.readNs);
    } else {
      g.threads++;
      g.sched = { runNs: g.sched.runNs + t.sched.runNs, waitNs: g.sched.waitNs + t.sched.waitNs, timeslices: g.sched.timeslices + t.sched.timeslices };
      const sum = readSums.get(g);
      readSums.set(g, sum === undefined || t.readNs === undefined ? undefined : sum + t.readNs);
    }
  }
  for (const [g, sum] of readSums) if (sum !== undefined) g.readNs = sum / BigInt(g.threads);
  return [...groups.values()].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || naturalCompare(a.name, b.name));
}
