// The collector's retention loop: with store.retentionDays > 0, prunes the
// store of what is older than that, at start and then every hour. One prune
// at a time; stop() aborts the running one between its chunks and waits.
// Lifecycle: start() then stop(); stop() is safe twice and without start().
// Outcomes are reported through onPruned / onError (and the log), never thrown.
import { errorMessage, nowNs, type Logger } from "@eastwest/common";
import type { PruneResult, Store } from "../store/types.ts";

const DAY_NS = 86_400n * 1_000_000_000n;
export const RETENTION_EVERY_MS = 3_600_000;

export interface RetentionOptions {
  store: Store;
  days: number;
  /** Days of one-minute rollups (store.rollupRetentionDays); 0 keeps them. */
  rollupDays?: number;
  logger: Logger;
  /** After each prune that completed (also one cut short by stop()). */
  onPruned?: (r: PruneResult) => void;
  /** After each prune that failed; the next check tries again. */
  onError?: (err: unknown) => void;
  everyMs?: number;
  clock?: () => bigint;
}

export class Retention {
  readonly #o: RetentionOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PruneResult | undefined> | undefined;
  readonly #abort = new AbortController();

  constructor(o: RetentionOptions) {
    this.#o = o;
  }

  /** Prunes now and then every everyMs; nothing when days is 0. */
  start(): void {
    if (!(this.#o.days > 0) || this.#timer !== undefined) return;
    void this.runOnce();
    this.#timer = setInterval(() => void this.runOnce(), this.#o.everyMs ?? RETENTION_EVERY_MS);
    this.#timer.unref();
  }

  /** One prune (or the one already running); resolves undefined when it failed (logged). */
  runOnce(): Promise<PruneResult | undefined> {
    this.#running ??= this.#prune().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #prune(): Promise<PruneResult | undefined> {
    const cutoffNs = (this.#o.clock ?? nowNs)() - BigInt(this.#o.days) * DAY_NS;
    const started = performance.now();
    try {
      const r = await this.#o.store.prune(cutoffNs, this.#abort.signal);
      const rollupDays = this.#o.rollupDays ?? 0;
      if (rollupDays > 0 && !this.#abort.signal.aborted) {
        const rollupCutoff = (this.#o.clock ?? nowNs)() - BigInt(rollupDays) * DAY_NS;
        const rollups = await this.#o.store.pruneRollups(rollupCutoff, this.#abort.signal);
        if (rollups > 0) this.#o.logger.info({ rollups, days: rollupDays }, "retention: pruned rollups");
      }
      this.#o.onPruned?.(r);
      const level = r.points + r.batches + r.latest > 0 ? "info" : "debug";
      this.#o.logger[level]({ ...r, days: this.#o.days, cutoff: new Date(Number(cutoffNs / 1_000_000n)).toISOString(), ms: Math.round(performance.now() - started) }, "retention: pruned");
      return r;
    } catch (err) {
      this.#o.logger.warn({ why: errorMessage(err) }, "retention: prune failed; next attempt at the next check");
      this.#o.onError?.(err);
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
