// Idle, but never starved for long. An agent at SCHED_IDLE runs only on CPU no ordinary task wants; on a host
// with none at all (every core busy at normal priority, e.g. vCPUs saturating it) it gets almost nothing (weight 3
// against 1024) and stops reporting exactly when the host is under the most pressure. The watcher thread
// (starvation-watch.ts), which stays at SCHED_OTHER, takes the process out of SCHED_IDLE when its main thread has
// been runnable without running for 2 s. This guard, on the main thread, then keeps it normal for `normalForMs`
// and returns it to SCHED_IDLE; starved again soon after returning, it stays normal twice as long (up to
// `maxNormalForMs`).
//
// why runnable-without-running and not timer lateness: the agent's own synchronous work also makes timers late;
// only a thread that is runnable and gets no CPU is kept off it by the kernel.
import type { Logger } from "./log.ts";
import { applyScheduling, realSchedDeps, type Scheduling, type SchedState } from "./sched.ts";
import { StarvationWatch, type WatchCounters } from "./starvation-watch.ts";

/** The watcher as the guard sees it. */
export interface GuardWatch {
  arm(): void;
  disarm(): void;
  counters(): WatchCounters;
}

export interface StarvationGuardOptions {
  /** How long to stay normal after starving (ms). Default 60000. */
  normalForMs?: number;
  /** The longest stay at normal after repeated starving (ms). Default 600000. */
  maxNormalForMs?: number;
  /** Check period (ms). Default 1000. */
  everyMs?: number;
  watch: GuardWatch;
  /** Returns to SCHED_IDLE (all threads but the watcher); the state after it. */
  enter: () => SchedState;
  logger?: Logger;
  now?: () => number;
}

export class StarvationGuard {
  readonly #o: Required<Omit<StarvationGuardOptions, "logger">> & { logger?: Logger };
  #state: SchedState;
  #timer: NodeJS.Timeout | undefined;
  #backAt = 0;
  #returnedAt = -Infinity;
  #stay: number;
  #seen: WatchCounters = { left: 0, waitedMs: 0, failed: 0 };
  /** Times the process left SCHED_IDLE because it starved. */
  starved = 0;

  constructor(initial: SchedState, o: StarvationGuardOptions) {
    this.#o = { normalForMs: 60_000, maxNormalForMs: 600_000, everyMs: 1000, now: Date.now, ...o };
    this.#state = initial;
    this.#stay = this.#o.normalForMs;
  }

  /** The policy in effect now (as last seen by the main thread). */
  get state(): SchedState {
    return this.#state;
  }

  start(): void {
    if (this.#state.policy !== "idle" || this.#timer) return;
    this.#seen = this.#o.watch.counters();
    this.#o.watch.arm();
    this.#timer = setInterval(() => this.check(), this.#o.everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#o.watch.disarm();
  }

  /** One check (the timer's; tests call it directly). */
  check(): void {
    const now = this.#o.now();
    const c = this.#o.watch.counters();
    if (c.failed > this.#seen.failed) this.#o.logger?.warn({ waitedMs: c.waitedMs }, "starved at SCHED_IDLE and could not leave it (chrt failed)");
    const left = c.left > this.#seen.left;
    this.#seen = c;
    if (this.#backAt > 0) {
      if (now >= this.#backAt) this.#return(now);
      return;
    }
    if (left) this.#left(now, c.waitedMs);
  }

  #left(now: number, waitedMs: number): void {
    // why: starving again within one stay of returning means the host has no idle CPU for longer: stay longer.
    this.#stay = now - this.#returnedAt < this.#stay ? Math.min(this.#stay * 2, this.#o.maxNormalForMs) : this.#o.normalForMs;
    this.starved += 1;
    this.#state = { policy: "normal" };
    this.#backAt = now + this.#stay;
    this.#o.logger?.warn({ waitedMs, normalForMs: this.#stay }, "starved at SCHED_IDLE (no idle CPU on this host): running at normal priority for a while");
  }

  #return(now: number): void {
    const after = this.#o.enter();
    this.#backAt = 0;
    this.#returnedAt = now;
    this.#state = after;
    if (after.policy === "idle") {
      this.#seen = this.#o.watch.counters();
      this.#o.watch.arm();
      this.#o.logger?.info("back at SCHED_IDLE");
    } else this.#o.logger?.warn({ reason: after.unavailable }, "could not return to SCHED_IDLE; staying normal");
  }
}

/** A guard that watches nothing: the process runs normal (wanted, or idle unavailable). */
const NO_WATCH: GuardWatch = { arm: () => undefined, disarm: () => undefined, counters: () => ({ left: 0, waitedMs: 0, failed: 0 }) };

/** The guard and the watcher behind it; `close` puts the process back at normal priority and ends both. */
export interface Scheduled {
  guard: StarvationGuard;
  /** The watcher thread's id, when there is one. */
  watcherTid?: number;
  close(): Promise<void>;
}

/**
 * Puts this process under `wanted`, with its guard started. For idle: starts the watcher thread first (it must
 * be made while the process is normal), then every other thread goes idle. Never throws: when idle cannot be
 * had, the process stays normal and the guard's state says why.
 */
export async function scheduleThisProcess(wanted: Scheduling, logger: Logger): Promise<Scheduled> {
  const normal = (state: SchedState): Scheduled => ({ guard: new StarvationGuard(state, { watch: NO_WATCH, enter: () => state }), close: async () => undefined });
  if (wanted === "normal") return normal({ policy: "normal" });
  let watch: StarvationWatch;
  try {
    watch = await StarvationWatch.start();
  } catch (err) {
    return normal({ policy: "normal", unavailable: `unavailable: ${(err as Error).message}` });
  }
  const enter = () => applyScheduling("idle", realSchedDeps(), [watch.tid]);
  const applied = enter();
  if (applied.policy !== "idle") {
    await watch.close();
    return normal(applied);
  }
  const guard = new StarvationGuard(applied, { watch, enter, logger });
  guard.start();
  return {
    guard,
    watcherTid: watch.tid,
    close: async () => {
      guard.stop();
      // why: what follows (the agent's or collector's orderly stop) must not starve at SCHED_IDLE with no watcher.
      if (!(await watch.leaveNow())) logger.warn("stopping: could not leave SCHED_IDLE; the stop may be slow on a busy host");
      await watch.close();
    },
  };
}
