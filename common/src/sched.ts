// The CPU scheduling policy eastwest's own processes run under. "idle" is Linux's SCHED_IDLE: the process
// runs only on a CPU no ordinary task wants and never preempts one. "normal" is SCHED_OTHER, as a process starts.
//
// why: on a host whose cores the traffic nearly saturates, CPU an agent takes at an ordinary priority comes out of
// the traffic's share; at SCHED_IDLE it gets the idle gaps instead. Interleaved iperf3 runs between two namespaces
// on a 2-core host, with 3 agents per namespace at 10 Hz and their collector: about -1.3 % throughput per agent
// pair at SCHED_OTHER, -0.7 % at SCHED_IDLE (README, Performance). A pure CPU load of ~7 % of a core woken 50
// times a second: -3 to -4 % at SCHED_OTHER, -0.4 ± 1.4 % at SCHED_IDLE; SCHED_BATCH (-3.1 %) and nice 19
// (-4.1 %) did not help.
//
// The price: on a host with no idle CPU at all, SCHED_IDLE gets a minimal share (weight 3 against 1024), so
// ticks come late and some are skipped (the eastwest_sampler points show the slowest tick and the tick count).
// Tools that make the workload (iperf3) or measure the host (calibration's perf bench) must not inherit it: they
// run at SCHED_OTHER through `chrt --other 0`. Leaving SCHED_IDLE takes CAP_SYS_NICE, so without it the process
// stays normal.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { CommandError, errorMessage } from "./errors.ts";

export type Scheduling = "idle" | "normal";

export const SCHED_OTHER = 0;
export const SCHED_IDLE = 5;

/** CAP_SYS_NICE's bit in the capability sets of /proc/<pid>/status. */
const CAP_SYS_NICE = 23n;

/** What a process runs under, and why not idle when idle was asked for. */
export interface SchedState {
  policy: Scheduling;
  /** Set when "idle" was wanted and could not be had: "unavailable: <reason>". */
  unavailable?: string;
}

/** The scheduling policy (field 41) of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat text. */
export function statPolicy(text: string): number {
  // why: field 2 (comm) is in parentheses and may itself hold spaces and parentheses.
  const close = text.lastIndexOf(")");
  if (close < 0) throw new Error("stat: no ')' after the command name");
  const fields = text.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field 41 is at 38.
  const policy = Number(fields[38]);
  if (fields.length < 39 || !Number.isInteger(policy) || policy < 0) throw new Error(`stat: no policy field (${fields.length + 2} fields)`);
  return policy;
}

/** Whether a /proc/<pid>/status text's effective capabilities include CAP_SYS_NICE. */
export function hasCapSysNice(status: string): boolean {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (!m) throw new Error("status: no CapEff line");
  return ((BigInt(`0x${m[1]}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

/** Every thread of `pid`, from /proc: its id, name (comm) and policy. */
export function threadsOf(pid: number, procRoot = "/proc"): Array<{ tid: number; comm: string; policy: number }> {
  const dir = join(procRoot, String(pid), "task");
  const out: Array<{ tid: number; comm: string; policy: number }> = [];
  for (const tid of readdirSync(dir)) {
    try {
      const stat = readFileSync(join(dir, tid, "stat"), "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      out.push({ tid: Number(tid), comm, policy: statPolicy(stat) });
    } catch (err) {
      // why: a thread may end between the listing and the read.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && (err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
  return out;
}

/** The policies of every thread of `pid`, from /proc. */
export function threadPolicies(pid: number, procRoot = "/proc"): number[] {
  return threadsOf(pid, procRoot).map((t) => t.policy);
}

export interface SchedDeps {
  pid: number;
  /** /proc/<pid>/status text. */
  status: () => string;
  /** Runs chrt with these arguments; throws with chrt's own words when it fails. */
  chrt: (args: readonly string[]) => void;
  /** The policies of the process's threads after chrt. */
  policies: () => number[];
  /** The process's thread ids now. */
  tids: () => number[];
}

function realChrt(args: readonly string[]): void {
  const r = spawnSync("chrt", [...args], { encoding: "utf8", timeout: 10_000 });
  if (r.error) throw new Error((r.error as NodeJS.ErrnoException).code === "ENOENT" ? "chrt (util-linux) not found" : `chrt: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`chrt ${args.join(" ")} exited ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
}

export function realSchedDeps(pid = process.pid): SchedDeps {
  return {
    pid,
    status: () => readFileSync(`/proc/${pid}/status`, "utf8"),
    chrt: realChrt,
    policies: () => threadPolicies(pid),
    tids: () => threadsOf(pid).map((t) => t.tid),
  };
}

/** Puts the threads of the process other than the main one and `keep` under SCHED_IDLE, those made meanwhile too. */
function idleOthers(deps: SchedDeps, keep: readonly number[]): void {
  const done = new Set<number>([deps.pid, ...keep]);
  for (let round = 0; round < 3; round++) {
    const todo = deps.tids().filter((t) => !done.has(t));
    if (todo.length === 0) return;
    for (const tid of todo) {
      done.add(tid);
      try {
        deps.chrt(["--idle", "--pid", "0", String(tid)]);
      } catch (err) {
        // why: a thread may end between the listing and its chrt.
        if (deps.tids().includes(tid)) throw err;
      }
    }
  }
}

/**
 * Puts every thread of the process under `wanted`, except the threads in `keep` (the starvation watcher), which
 * stay at SCHED_OTHER; threads made later inherit their creator's policy. "normal" changes nothing.
 * Never throws: when idle cannot be had, the process stays as it was and the state says why.
 *
 * Thread by thread, the main one (tid = pid) last. why: each chrt is forked from the main thread, and a child
 * starts under its parent's policy: one forked once the main thread is idle waits for CPU that no normal task
 * wants, on a saturated host for long (a watcher put back to SCHED_OTHER that way took up to 446 ms with two CPU
 * hogs; the main thread waits in spawnSync meanwhile, and the watcher, made idle by an --all-tasks chrt, cannot
 * help). So no chrt ever runs from an idle main thread on the way in, and the watcher never leaves SCHED_OTHER.
 */
export function applyScheduling(wanted: Scheduling, deps: SchedDeps, keep: readonly number[] = []): SchedState {
  if (wanted === "normal") return { policy: "normal" };
  try {
    if (!hasCapSysNice(deps.status())) {
      return { policy: "normal", unavailable: "unavailable: no CAP_SYS_NICE, which iperf3 and calibration need to run at normal priority again" };
    }
    idleOthers(deps, keep);
    deps.chrt(["--idle", "--pid", "0", String(deps.pid)]);
    const policies = deps.policies();
    const normal = policies.filter((p) => p === SCHED_OTHER).length;
    const stray = policies.filter((p) => p !== SCHED_IDLE && p !== SCHED_OTHER);
    if (stray.length > 0 || normal > keep.length) {
      // why: never leave the process half idle.
      deps.chrt(["--other", "--all-tasks", "--pid", "0", String(deps.pid)]);
      return { policy: "normal", unavailable: `unavailable: ${stray.length + normal - keep.length} thread(s) not under SCHED_IDLE after chrt (policy ${stray[0] ?? SCHED_OTHER})` };
    }
    return { policy: "idle" };
  } catch (err) {
    try {
      // why: never leave the process half idle; forked from a main thread that is still normal here, unless its
      // own chrt was what failed.
      deps.chrt(["--other", "--all-tasks", "--pid", "0", String(deps.pid)]);
    } catch {
      // the reason below is the first failure's
    }
    return { policy: "normal", unavailable: `unavailable: ${errorMessage(err)}` };
  }
}

/** The first executable named `file` on PATH (or `file` itself when it has a slash); undefined when none. */
export function findOnPath(file: string, path = process.env["PATH"] ?? ""): string | undefined {
  const candidates = file.includes("/") ? [file] : path.split(delimiter).filter(Boolean).map((d) => join(d, file));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * [file, args] that run `file` at SCHED_OTHER when this process is idle: through `chrt --other 0`, which execs
 * it (same pid, so stopping it stops the tool). A missing tool fails as it would without chrt.
 */
export function atNormalPriority(state: SchedState, file: string, args: readonly string[]): [string, string[]] {
  if (state.policy !== "idle") return [file, [...args]];
  if (findOnPath(file) === undefined) throw new CommandError(`${file}: not found`, null, "");
  return ["chrt", ["--other", "0", file, ...args]];
}

/** `fn` (a runner of external tools) with every tool it starts at SCHED_OTHER while this process is idle. */
export function atNormal<A extends unknown[], R>(
  state: () => SchedState,
  fn: (file: string, args: readonly string[], ...rest: A) => Promise<R>,
): (file: string, args: readonly string[], ...rest: A) => Promise<R> {
  return (file, args, ...rest) => {
    try {
      const [f, a] = atNormalPriority(state(), file, args);
      return fn(f, a, ...rest);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
