// Idle, but never starved for long. An agent at SCHED_IDLE runs only on CPU no ordinary task wants; on a host
// with none at all (every core busy at normal priority, e.g. vCPUs saturating it) it gets almost nothing (weight 3
// against 1024) and stops reporting exactly when the host is under the most pressure. The guard watches how long
// the agent's main thread waited, runnable, for a CPU (/proc/thread-self/schedstat, field 2): when that exceeds
// `starvedMs` between two checks, the agent leaves SCHED_IDLE for `normalForMs`, then returns to it. Starved again
// soon after returning, it stays normal twice as long (up to `maxNormalForMs`).
//
// why the run-queue wait and not timer lateness: the agent's own synchronous work also makes timers late; only the
// wait counts time the kernel kept a runnable agent off the CPU.
import type { Logger } from "./log.ts";
import { readFileSync } from "node:fs";
import { applyScheduling, leaveIdle, realSchedDeps, type SchedState } from "./sched.ts";

export interface StarvationGuardOptions {
  /** Wait (ms) on the run queue between two checks that counts as starved. Default 2000. */
  starvedMs?: number;
  /** How long to stay normal after starving (ms). Default 60000. */
  normalForMs?: number;
  /** The longest stay at normal after repeated starving (ms). Default 600000. */
  maxNormalForMs?: number;
  /** Check period (ms). Default 1000. */
  everyMs?: number;
  /** The main thread's schedstat text ("run_ns wait_ns slices"). */
  schedstat: () => string;
  /** Leaves SCHED_IDLE; the state after it. */
  leave: () => SchedState;
  /** Returns to SCHED_IDLE; the state after it. */
  enter: () => SchedState;
  logger?: Logger;
  now?: () => number;
}

/** ns waited on the run queue so far (field 2 of schedstat); undefined when unreadable. */
export function runQueueWaitNs(text: string): bigint | undefined {
  const f = text.trim().split(/\s+/);
  return f.length >= 2 && /^\d{1,20}$/.test(f[1] as string) ? BigInt(f[1] as string) : undefined;
}

export class StarvationGuard {
  readonly #o: Required<Omit<StarvationGuardOptions, "logger">> & { logger?: Logger };
  #state: SchedState;
  #lastWait: bigint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backAt = 0;
  #returnedAt = -Infinity;
  #stay: number;
  /** Times the agent left SCHED_IDLE because it starved. */
  starved = 0;

  constructor(initial: SchedState, o: StarvationGuardOptions) {
    this.#o = { starvedMs: 2000, normalForMs: 60_000, maxNormalForMs: 600_000, everyMs: 1000, now: Date.now, ...o };
    this.#state = initial;
    this.#stay = this.#o.normalForMs;
  }

  /** The policy in effect now. */
  get state(): SchedState {
    return this.#state;
  }

  start(): void {
    if (this.#state.policy !== "idle" || this.#timer) return;
    this.#lastWait = this.#read();
    this.#timer = setInterval(() => this.check(), this.#o.everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One check (the timer's; tests call it directly). */
  check(): void {
    const now = this.#o.now();
    const wait = this.#read();
    const waitedMs = wait !== undefined && this.#lastWait !== undefined ? Number(wait - this.#lastWait) / 1e6 : 0;
    if (wait !== undefined) this.#lastWait = wait;
    if (this.#backAt > 0) {
      if (now >= this.#backAt) this.#return(now);
      return;
    }
    if (this.#state.policy === "idle" && waitedMs >= this.#o.starvedMs) this.#boost(now, waitedMs);
  }

  #boost(now: number, waitedMs: number): void {
    // why: starving again within one stay of returning means the host has no idle CPU for longer: stay longer.
    this.#stay = now - this.#returnedAt < this.#stay ? Math.min(this.#stay * 2, this.#o.maxNormalForMs) : this.#o.normalForMs;
    const after = this.#o.leave();
    if (after.policy !== "normal") {
      this.#o.logger?.warn({ waitedMs: Math.round(waitedMs), reason: after.unavailable }, "starved at SCHED_IDLE and could not leave it");
      return;
    }
    this.starved += 1;
    this.#state = after;
    this.#backAt = now + this.#stay;
    this.#o.logger?.warn({ waitedMs: Math.round(waitedMs), normalForMs: this.#stay }, "starved at SCHED_IDLE (no idle CPU on this host): running at normal priority for a while");
  }

  #return(now: number): void {
    const after = this.#o.enter();
    this.#backAt = 0;
    this.#returnedAt = now;
    this.#state = after;
    this.#lastWait = this.#read();
    if (after.policy === "idle") this.#o.logger?.info("back at SCHED_IDLE");
    else this.#o.logger?.warn({ reason: after.unavailable }, "could not return to SCHED_IDLE; staying normal");
  }

  #read(): bigint | undefined {
    try {
      return runQueueWaitNs(this.#o.schedstat());
    } catch {
      return undefined;
    }
  }
}

/**
 * A guard for this process, started: `applied` is what applyScheduling gave it (nothing is watched unless it is
 * idle). The process's main thread's run-queue wait is read from /proc/thread-self/schedstat.
 */
export function guardThisProcess(applied: SchedState, logger: Logger): StarvationGuard {
  const guard = new StarvationGuard(applied, {
    schedstat: () => readFileSync("/proc/thread-self/schedstat", "utf8"),
    leave: () => leaveIdle(realSchedDeps()),
    enter: () => applyScheduling("idle", realSchedDeps()),
    logger,
  });
  guard.start();
  return guard;
}
