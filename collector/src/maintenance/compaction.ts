// The collector's compaction loop: every COMPACT_EVERY_MS, packs the store's complete windows of points (older than
// COMPACT_GRACE_NS, so late points of a window usually arrive first) into compact chunks, as far as every sink has read
// the point log (a sink's unread points stay rows in the head). One compaction at a time; stop() aborts the running
// one between its windows and waits. Outcomes go to onCompacted / the log, never thrown.
import { errorMessage, nowNs, type Logger } from "@eastwest/common";
import type { Compacted, Store } from "../store/types.ts";

export const COMPACT_EVERY_MS = 60_000;
/** How long after a window's end its points are packed: 30 s. */
export const COMPACT_GRACE_NS = 30_000_000_000n;
/** No sink: every position may be packed. */
export const NO_FLOOR = 2n ** 63n - 1n;

export interface CompactionOptions {
  store: Store;
  logger: Logger;
  /** The lowest log position any sink has yet to read past (NO_FLOOR without sinks). */
  floor: () => Promise<bigint>;
  onCompacted?: (r: Compacted) => void;
  everyMs?: number;
  clock?: () => bigint;
}

export class Compaction {
  readonly #o: CompactionOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Compacted | undefined> | undefined;
  readonly #abort = new AbortController();

  constructor(o: CompactionOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#o.everyMs ?? COMPACT_EVERY_MS);
    this.#timer.unref();
  }

  /** One compaction (or the one already running); resolves undefined when it failed (logged). */
  runOnce(): Promise<Compacted | undefined> {
    this.#running ??= this.#compact().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #compact(): Promise<Compacted | undefined> {
    const started = performance.now();
    try {
      const floor = await this.#o.floor();
      const r = await this.#o.store.compact((this.#o.clock ?? nowNs)() - COMPACT_GRACE_NS, floor, this.#abort.signal);
      this.#o.onCompacted?.(r);
      this.#o.logger[r.points > 0 ? "info" : "debug"]({ ...r, ms: Math.round(performance.now() - started) }, "compaction: packed");
      return r;
    } catch (err) {
      this.#o.logger.warn({ why: errorMessage(err) }, "compaction failed; next attempt at the next check");
      return undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }
}
