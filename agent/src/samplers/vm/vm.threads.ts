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
}

export type ThreadKind = "vcpu" | "io" | "main" | "vhost" | "other";

/** One vm_thread series: the tasks of one kind and name, summed. */
export interface ThreadGroup {
  kind: ThreadKind;
  /** The thread's comm; "other" for the catch-all group. */
  name: string;
  threads: number;
  sched: SchedStat;
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
  for (const t of tasks) {
    const { kind, name } = classifyThread(t.comm, t.tid, pid, vcpuTids);
    const key = `${kind}\0${name}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { kind, name, threads: 1, sched: { ...t.sched } });
    else {
      g.threads++;
      g.sched = { runNs: g.sched.runNs + t.sched.runNs, waitNs: g.sched.waitNs + t.sched.waitNs, timeslices: g.sched.timeslices + t.sched.timeslices };
    }
  }
  return [...groups.values()].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || naturalCompare(a.name, b.name));
}
