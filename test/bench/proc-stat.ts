// CPU time and resident memory of a process, from /proc/<pid>/stat and
// /proc/<pid>/status (proc(5)). CPU is in clock ticks of USER_HZ (getconf CLK_TCK).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

export interface CpuTicks {
  /** utime + stime of the process itself. */
  self: number;
  /**
   * cutime + cstime of children it has waited for (e.g. the agent's ethtool, tc, ss), plus utime + stime of
   * descendants still running (e.g. a long-lived perf stat): a child's time moves from the second to the first
   * when it is reaped, so deltas over a window count each child once.
   */
  children: number;
}

let userHz: number | undefined;

/** USER_HZ, the unit of the times in /proc/<pid>/stat (100 on Linux x86). */
export function clockTicksPerSecond(): number {
  userHz ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  if (!Number.isInteger(userHz) || userHz <= 0) throw new Error(`getconf CLK_TCK gave ${String(userHz)}`);
  return userHz;
}

/** Parses /proc/<pid>/stat text; comm (field 2) may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseCpuTicks(stat: string): CpuTicks {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17.
  const f = (field: number) => Number(rest[field - 3]);
  const out = { self: f(14) + f(15), children: f(16) + f(17) };
  if (!Number.isFinite(out.self) || !Number.isFinite(out.children)) throw new Error(`unparsable /proc/<pid>/stat: ${stat.slice(0, 200)}`);
  return out;
}

/** Pids of running children of pid (all its threads), from /proc/<pid>/task/<tid>/children. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // the thread or process ended meanwhile
    }
  }
  return out;
}

function liveDescendantTicks(pid: number): number {
  let sum = 0;
  for (const c of childPids(pid)) {
    try {
      const t = parseCpuTicks(readFileSync(`/proc/${c}/stat`, "utf8"));
      sum += t.self + t.children + liveDescendantTicks(c);
    } catch {
      // exited between listing and reading: its time shows up in the parent's cutime once reaped
    }
  }
  return sum;
}

export function cpuTicks(pid: number): CpuTicks {
  const t = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
  return { self: t.self, children: t.children + liveDescendantTicks(pid) };
}

/** VmRSS in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** CPU and RSS of one process over a window: start(), sample() as often as wanted, then finish(). */
export class ProcessMeter {
  readonly pid: number;
  #start: CpuTicks | undefined;
  #startMs = 0;
  #rss: number[] = [];

  constructor(pid: number) {
    this.pid = pid;
  }

  start(): void {
    this.#start = cpuTicks(this.pid);
    this.#startMs = performance.now();
    this.sample();
  }

  sample(): void {
    this.#rss.push(rssBytes(this.pid));
  }

  finish(): ProcessUsage {
    if (!this.#start) throw new Error("ProcessMeter.finish() before start()");
    this.sample();
    const end = cpuTicks(this.pid);
    const hz = clockTicksPerSecond();
    const windowS = (performance.now() - this.#startMs) / 1000;
    const selfS = (end.self - this.#start.self) / hz;
    const childrenS = (end.children - this.#start.children) / hz;
    return {
      windowS,
      cpuS: selfS + childrenS,
      childrenCpuS: childrenS,
      rssMeanBytes: this.#rss.reduce((a, b) => a + b, 0) / this.#rss.length,
      rssMaxBytes: Math.max(...this.#rss),
    };
  }
}

export interface ProcessUsage {
  windowS: number;
  /** Process plus waited-for children, seconds. */
  cpuS: number;
  childrenCpuS: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
}
