// Retry pacing: exponential backoff with full jitter, shared by the agent's transports (reconnects, resends)
// and by actions that retry a refused tool.
//
// Backoff      the delay before each next attempt (ms); reset() after a success starts again from minMs.
// RetryTimer   a Backoff plus the timers it arms. schedule(fn) arms fn after the next delay and returns that
//              delay (ms) so the caller can report it; undefined once cancelled. Overlapping schedules are kept,
//              not replaced: each was armed for its own reason (a lost connection, a failed publish) and each
//              still fires. cancel() clears every pending timer and makes later schedule() calls no-ops; safe
//              twice and safe when nothing was scheduled.

/** Attempt 0 -> [min/2, min], the ceiling doubling per attempt up to max (ms); never below min/2. */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs / 2, Math.round(random() * ceiling));
}

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** A draw in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

export class Backoff {
  readonly #o: BackoffOptions;
  #attempt = 0;

  constructor(o: BackoffOptions) {
    this.#o = o;
  }

  /** Attempts since the last reset(). */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt (ms); counts the attempt. */
  next(): number {
    return backoffDelayMs(this.#attempt++, this.#o.minMs, this.#o.maxMs, this.#o.random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

export class RetryTimer {
  readonly #backoff: Backoff;
  readonly #timers = new Set<NodeJS.Timeout>();
  #cancelled = false;

  constructor(o: BackoffOptions) {
    this.#backoff = new Backoff(o);
  }

  /** Runs fn after the next backoff delay; returns the delay (ms), or undefined once cancelled. */
  schedule(fn: () => void): number | undefined {
    if (this.#cancelled) return undefined;
    const delayMs = this.#backoff.next();
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, delayMs);
    this.#timers.add(t);
    return delayMs;
  }

  /** After a success: the next schedule() waits the shortest delay again. */
  reset(): void {
    this.#backoff.reset();
  }

  /** Clears every pending timer; later schedule() calls do nothing. Safe twice. */
  cancel(): void {
    this.#cancelled = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
