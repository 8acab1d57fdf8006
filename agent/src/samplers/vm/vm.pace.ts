// A read decoupled from the tick: it may take longer than the tick's deadline (its own timeout bounds it), and the tick
// does not wait for it beyond its deadline. why: a QEMU monitor under CPU load answers now in 2 ms, now in 1.1 s (its
// main loop waits for the CPU or the BQL); tying the read to a 1 s tick and backing off after a miss left 3-19 s holes.

/** What a tick gets: a read that finished in time, one that finished after its own tick ended, or none yet. */
export type Paced<T> =
  | { kind: "fresh"; value: T }
  /** Finished after the tick that started it; `ageMs`: how long ago it finished. */
  | { kind: "late"; value: T; ageMs: number }
  /** Still in flight since `forMs`. */
  | { kind: "pending"; forMs: number };

interface Done<T> {
  value: T;
  atMs: number;
}

/** At most one read in flight; a result that comes after its tick is handed to the next tick. */
export class Pacer<T> {
  #inflight: Promise<void> | undefined;
  #startedMs = 0;
  #done: Done<T> | undefined;
  #closed = new AbortController();

  /**
   * The tick's read: starts one unless one is in flight (bounded by `timeoutMs`, not by the tick) and waits for it
   * until `tickSignal` aborts. A read that ended after the previous tick's deadline is returned as late when this
   * tick's own read does not finish in time.
   */
  async next(tickSignal: AbortSignal, timeoutMs: number, read: (signal: AbortSignal) => Promise<T>): Promise<Paced<T>> {
    const stale = this.#take();
    let inflight = this.#inflight;
    if (inflight === undefined) {
      this.#startedMs = Date.now();
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#closed.signal]);
      const run = read(signal).then((value) => {
        this.#done = { value, atMs: Date.now() };
      });
      const tracked: Promise<void> = run.finally(() => {
        if (this.#inflight === tracked) this.#inflight = undefined;
      });
      // why: a read that fails is a read with no result; nobody may be waiting for it when it does.
      tracked.catch(() => undefined);
      this.#inflight = inflight = tracked;
    }
    await untilAborted(inflight, tickSignal);
    const fresh = this.#take();
    if (fresh !== undefined) return { kind: "fresh", value: fresh.value };
    if (stale !== undefined) return { kind: "late", value: stale.value, ageMs: Date.now() - stale.atMs };
    return { kind: "pending", forMs: Date.now() - this.#startedMs };
  }

  /** Aborts a read in flight (its signal); idempotent. */
  close(): void {
    this.#closed.abort();
    this.#closed = new AbortController();
  }

  #take(): Done<T> | undefined {
    const d = this.#done;
    this.#done = undefined;
    return d;
  }
}

/** Resolves when `p` settles or `signal` aborts, whichever is first; never rejects. */
async function untilAborted(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = (): void => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([p.catch(() => undefined), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
