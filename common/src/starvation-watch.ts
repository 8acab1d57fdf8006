// The watcher: one thread of the process that stays at SCHED_OTHER while the rest is idle, so that on a host
// with no idle CPU it still gets its fair share and can take the process out of SCHED_IDLE. A guard inside the
// idle threads cannot: it runs only when the starved thread does (a busy loop at normal priority on the same
// CPU kept an idle agent off it for over a minute).
//
// It is a worker thread made while the process is still normal (threads inherit their creator's policy), kept
// out of the idle class by tid, and does one thing: every `everyMs` it reads the main thread's state, run time
// and run-queue wait (/proc/<pid>/task/<pid>/stat field 3, schedstat fields 1 and 2). While armed, when the main
// thread is starved it runs `chrt --other --all-tasks` on the process (the child is forked from this thread, so
// it starts at normal too) and disarms. Everything else (how long to stay normal, logging, returning to idle) is
// the main thread's StarvationGuard, which reads the watcher's counters once it runs again.
//
// Starved is either of:
// - runnable (state R) with its run time unchanged for `starvedMs`: it got no CPU at all;
// - `starvedMs` of run-queue wait added within the last 2 x `starvedMs`: it gets slices, far apart. At SCHED_IDLE
//   behind one busy task at normal priority, the main thread got a ~4 ms slice every ~1.4 s.
// The kernel adds a wait to field 2 only when the waiting ends (the thread gets the CPU), so the first catches a
// thread that is still waiting and the second one that runs only now and then.
//
// why plain JS evaluated in the worker: the agent also ships as one bundled file; a worker source of its own
// would have to ship beside it. The source uses only node: modules.
import { Worker } from "node:worker_threads";

/** Shared counters: [armed 0|1, leaves done, ms waited at the last leave, chrt failures, leave-now request]. */
const ARMED = 0;
const LEFT = 1;
const WAITED = 2;
const FAILED = 3;
/** 1: the main thread asks the watcher to leave idle now (stopping); the watcher answers 2 (done) or 3 (failed). */
const LEAVE_NOW = 4;

const SOURCE = `
const { workerData: d, parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const cp = require("node:child_process");
const c = new Int32Array(d.shared);
parentPort.postMessage({ tid: Number(fs.readlinkSync("/proc/thread-self").split("/").pop()) });
const read = () => {
  try {
    const stat = fs.readFileSync(d.task + "/stat", "utf8");
    const f = fs.readFileSync(d.task + "/schedstat", "utf8").trim().split(/\\s+/);
    if (f.length < 2 || !/^\\d{1,18}$/.test(f[0]) || !/^\\d{1,18}$/.test(f[1])) return undefined;
    return { runnable: stat.slice(stat.lastIndexOf(")") + 1).trim().startsWith("R"), run: BigInt(f[0]), wait: BigInt(f[1]) };
  } catch { return undefined; }
};
let last;
let since = Date.now();
let waits = [];
const other = () => cp.spawnSync(d.chrt, ["--other", "--all-tasks", "--pid", "0", String(d.pid)], { timeout: 10000, stdio: "ignore" });
setInterval(() => {
  if (Atomics.load(c, ${LEAVE_NOW}) === 1) {
    Atomics.store(c, ${ARMED}, 0);
    Atomics.store(c, ${LEAVE_NOW}, other().status === 0 ? 2 : 3);
    return;
  }
  const now = Date.now();
  const r = read();
  if (r === undefined) { last = undefined; since = now; waits = []; return; }
  if (last !== undefined && r.wait > last.wait) waits.push([now, Number(r.wait - last.wait) / 1e6]);
  waits = waits.filter((w) => now - w[0] <= 2 * d.starvedMs);
  if (!r.runnable || last === undefined || r.run !== last.run) since = now;
  last = r;
  const waited = Math.max(now - since, waits.reduce((sum, w) => sum + w[1], 0));
  if (Atomics.load(c, ${ARMED}) !== 1 || waited < d.starvedMs) return;
  Atomics.store(c, ${ARMED}, 0);
  const x = other();
  Atomics.store(c, ${WAITED}, Math.min(Math.round(waited), 2147483647));
  Atomics.add(c, x.status === 0 ? ${LEFT} : ${FAILED}, 1);
  since = now;
  waits = [];
}, d.everyMs);
`;

export interface WatchOptions {
  /** The process whose main thread is watched; default this one. */
  pid?: number;
  /** How long (ms) the main thread must be runnable without running, or wait within 2 x starvedMs, to count as starved. Default 2000. */
  starvedMs?: number;
  /** Read period (ms). Default 500. */
  everyMs?: number;
  /** The main thread's /proc task directory (stat, schedstat); default /proc/<pid>/task/<pid>. */
  task?: string;
  /** The chrt to run; default chrt from PATH. */
  chrt?: string;
}

/** What the watcher has done so far. */
export interface WatchCounters {
  /** Times it took the process out of SCHED_IDLE. */
  left: number;
  /** How long (ms) the main thread had been starved when the watcher left idle the last time. */
  waitedMs: number;
  /** Times chrt failed (the watcher disarms after trying). */
  failed: number;
}

export class StarvationWatch {
  readonly #worker: Worker;
  readonly #c: Int32Array;
  /** The watcher thread's id (kept at SCHED_OTHER). */
  readonly tid: number;

  private constructor(worker: Worker, counters: Int32Array, tid: number) {
    this.#worker = worker;
    this.#c = counters;
    this.tid = tid;
  }

  /** Starts the watcher (disarmed) and resolves once it runs, with its tid; rejects when it cannot start. */
  static start(o: WatchOptions = {}): Promise<StarvationWatch> {
    const pid = o.pid ?? process.pid;
    const shared = new SharedArrayBuffer(5 * 4);
    const data = { shared, pid, starvedMs: o.starvedMs ?? 2000, everyMs: o.everyMs ?? 500, task: o.task ?? `/proc/${pid}/task/${pid}`, chrt: o.chrt ?? "chrt" };
    const worker = new Worker(SOURCE, { eval: true, name: "eastwest-watch", workerData: data, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(new Error(`starvation watcher: ${err.message}`));
      worker.once("error", fail);
      worker.once("exit", (code) => fail(new Error(`exited ${code} before it ran`)));
      worker.once("message", (m: { tid?: unknown }) => {
        worker.removeAllListeners("exit");
        worker.removeListener("error", fail);
        // why: a watcher that dies later must not take the process with it; the guard sees no more leaves.
        worker.on("error", () => undefined);
        worker.unref();
        if (typeof m.tid !== "number" || !Number.isInteger(m.tid) || m.tid <= 0) return reject(new Error("starvation watcher: no thread id"));
        resolve(new StarvationWatch(worker, new Int32Array(shared), m.tid));
      });
    });
  }

  /** The process is idle: leave SCHED_IDLE when starved. */
  arm(): void {
    Atomics.store(this.#c, ARMED, 1);
  }

  disarm(): void {
    Atomics.store(this.#c, ARMED, 0);
  }

  get armed(): boolean {
    return Atomics.load(this.#c, ARMED) === 1;
  }

  counters(): WatchCounters {
    return { left: Atomics.load(this.#c, LEFT), waitedMs: Atomics.load(this.#c, WAITED), failed: Atomics.load(this.#c, FAILED) };
  }

  /**
   * Has the watcher put the whole process back at normal priority, now: a stopping process must not starve at
   * SCHED_IDLE through its orderly stop (and a chrt started from an idle thread would start idle too). Resolves
   * true once done, false when chrt failed or the watcher did not answer within timeoutMs.
   */
  async leaveNow(timeoutMs = 5000): Promise<boolean> {
    this.disarm();
    Atomics.store(this.#c, LEAVE_NOW, 1);
    for (const end = Date.now() + timeoutMs; Atomics.load(this.#c, LEAVE_NOW) === 1 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    return Atomics.load(this.#c, LEAVE_NOW) === 2;
  }

  async close(): Promise<void> {
    this.disarm();
    await this.#worker.terminate();
  }
}
