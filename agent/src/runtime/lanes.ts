// Lanes: samplers (and other periodic work) sharing an interval share one timer on a wall-clock grid of that
// interval. Contract: `join` adds an entry to its interval's lane; `start()` fires every lane at once, then on its
// grid; a lane with no entries and no extras is dropped at its next wake-up; `stop()` clears every timer (safe
// twice, and without start). Each wake-up runs the lane's extras, then `tick` for every entry not still running.
//
// why: the process wakes once per grid tick, not once per sampler (at 10 Hz each extra wake-up costs about as much
// as parsing a small /proc file), and the cadence does not drift by the sampling time.
import { errorMessage, nowNs, type Logger } from "@eastwest/common";

/** Delay to the next multiple of intervalMs after now, and at least to the next one after the tick's start. */
export function untilNextGridMs(nowMs: number, intervalMs: number, startedMs: number): number {
  const next = (Math.floor(startedMs / intervalMs) + 1) * intervalMs;
  const due = next > nowMs ? next : (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
  return Math.max(0, due - nowMs);
}

/** What ticks in a lane: skipped at a grid point while its previous tick still runs. */
export interface LaneEntry {
  readonly running: boolean;
}

/** Entries (and other periodic work) on one interval, woken by one timer on its grid. */
export interface Lane<E extends LaneEntry> {
  readonly intervalMs: number;
  timer: NodeJS.Timeout | undefined;
  readonly entries: Set<E>;
  readonly extras: Array<() => void>;
}

/** Starts one entry's tick at tickNs (the wake-up's time); startedMs: the wake-up's wall clock, ms. */
export type LaneTick<E> = (entry: E, tickNs: bigint, startedMs: number) => void;

export class Lanes<E extends LaneEntry> {
  readonly #lanes = new Map<number, Lane<E>>();
  readonly #tick: LaneTick<E>;
  readonly #logger: Logger;
  #started = false;
  #stopped = false;

  constructor(tick: LaneTick<E>, logger: Logger) {
    this.#tick = tick;
    this.#logger = logger;
  }

  /** Adds `entry` to the lane of intervalMs (made if needed; armed only by start()). */
  join(entry: E, intervalMs: number): Lane<E> {
    const lane = this.#lane(intervalMs);
    lane.entries.add(entry);
    return lane;
  }

  /** Wakes every lane now, then on its grid. Once. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const lane of this.#lanes.values()) this.#arm(lane, 0);
  }

  /** Runs `fn` on the grid of intervalMs, in the same wake-up as the entries of that interval. */
  every(intervalMs: number, fn: () => void): void {
    const fresh = !this.#lanes.has(intervalMs);
    const lane = this.#lane(intervalMs);
    lane.extras.push(fn);
    if (fresh && this.#started) this.#armOnGrid(lane);
  }

  /** Moves `entry` from its lane to the lane of intervalMs (a new lane starts on its grid); returns the new lane. */
  move(entry: E, from: Lane<E>, intervalMs: number): Lane<E> {
    from.entries.delete(entry);
    const fresh = !this.#lanes.has(intervalMs);
    const lane = this.join(entry, intervalMs);
    if (fresh) this.#armOnGrid(lane);
    return lane;
  }

  stop(): void {
    this.#stopped = true;
    for (const lane of this.#lanes.values()) clearTimeout(lane.timer);
  }

  #lane(intervalMs: number): Lane<E> {
    let lane = this.#lanes.get(intervalMs);
    if (lane === undefined) {
      lane = { intervalMs, timer: undefined, entries: new Set(), extras: [] };
      this.#lanes.set(intervalMs, lane);
    }
    return lane;
  }

  #arm(lane: Lane<E>, delayMs: number): void {
    if (this.#stopped) return;
    lane.timer = setTimeout(() => this.#fire(lane), delayMs);
  }

  #armOnGrid(lane: Lane<E>): void {
    const now = Date.now();
    this.#arm(lane, untilNextGridMs(now, lane.intervalMs, now));
  }

  #fire(lane: Lane<E>): void {
    lane.timer = undefined;
    if (lane.entries.size === 0 && lane.extras.length === 0) {
      this.#lanes.delete(lane.intervalMs);
      return;
    }
    const startedMs = Date.now();
    const tickNs = nowNs();
    for (const fn of lane.extras) {
      try {
        fn();
      } catch (err) {
        this.#logger.warn({ err: errorMessage(err) }, "periodic work failed"); // why: never at the samplers' cost
      }
    }
    // why: an entry still in its previous tick (slower than its interval) skips this grid point.
    for (const e of lane.entries) if (!e.running) this.#tick(e, tickNs, startedMs);
    this.#arm(lane, untilNextGridMs(Date.now(), lane.intervalMs, startedMs));
  }
}
