// The collector's own points: PipelineStats as `eastwest_collector` and, per limit, `eastwest_collector_limit`
// (common/src/schema/self.ts), written to its own store every intervalMs and once more at stop, under the writer
// id `eastwest-collector.<id>` with seqs of its own (agents may not use that id: validate.ts). A write that fails
// is logged and the next one goes on.
import { errorMessage, nowNs, type Logger, type Sample } from "@eastwest/common";
import type { Store } from "../store/types.ts";
import type { StallWindow } from "./stalls.ts";
import type { PipelineStats } from "./stats.ts";

export const selfWriterId = (collectorId: string): string => `eastwest-collector.${collectorId}`;

const NO_STALLS: StallWindow = { loopDelayMaxNs: 0n, loopDelayP99Ns: 0n, storeWriteMaxNs: 0n, loopUtilization: 0 };

/** The points of one report; `w` is what held the ingest thread since the previous one (stalls.ts). */
export function selfPoints(collectorId: string, s: PipelineStats, logLinesSuppressed: number, timeNs: bigint, w: StallWindow = NO_STALLS): Sample[] {
  const tags = { collector_id: collectorId };
  const pipeline: Sample = {
    measurement: "eastwest_collector",
    tags,
    fields: {
      batches_received_total: s.batchesReceived,
      batches_stored_total: s.batchesStored,
      batches_duplicate_total: s.batchesDuplicate,
      batches_rejected_total: s.batchesRejected,
      points_stored_total: s.pointsStored,
      store_errors_total: s.storeErrors,
      frames_undecodable_total: s.framesUndecodable,
      handler_errors_total: s.handlerErrors,
      log_lines_suppressed_total: BigInt(logLinesSuppressed),
      points_pruned_total: s.pointsPruned,
      points_compacted_total: s.pointsCompacted,
      lag_ns: s.lagNs < 0n ? 0n : s.lagNs,
      store_write_ns_total: s.storeWriteNs,
      store_write_max_ns: w.storeWriteMaxNs,
      event_loop_delay_max_ns: w.loopDelayMaxNs,
      event_loop_delay_p99_ns: w.loopDelayP99Ns,
      event_loop_utilization: Number.isFinite(w.loopUtilization) ? w.loopUtilization : 0,
      ingest_queued_points: s.queuedPoints,
      streams_paused_total: s.streamsPaused,
    },
    timeNs,
  };
  const limits = Object.entries(s.refusedByLimit).map(([limit, n]): Sample => ({ measurement: "eastwest_collector_limit", tags: { ...tags, limit }, fields: { refused_total: n }, timeNs }));
  return [pipeline, ...limits];
}

export interface SelfReporterOptions {
  store: Store;
  stats: PipelineStats;
  collectorId: string;
  intervalMs: number;
  logger: Logger;
  /** Lines the throttled log left out so far. */
  suppressed: () => number;
  /** Watched between reports: the event loop's delay and the longest store write; absent: reported as 0. */
  stalls?: { take(): StallWindow };
  /** More points of the same report (the sinks' eastwest_collector_sink). */
  more?: (timeNs: bigint) => Sample[];
}

export class SelfReporter {
  readonly #o: SelfReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #seq: bigint | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(o: SelfReporterOptions) {
    this.#o = o;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#report(), this.#o.intervalMs);
    this.#timer.unref();
  }

  #report(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    const o = this.#o;
    const writer = selfWriterId(o.collectorId);
    try {
      this.#seq ??= await o.store.highestSeq(writer);
      const seq = this.#seq + 1n;
      const timeNs = nowNs();
      const points = [...selfPoints(o.collectorId, o.stats, o.suppressed(), timeNs, o.stalls?.take()), ...(o.more?.(timeNs) ?? [])];
      const out = await o.store.writeBatch({ agentId: writer, seq, points, receivedNs: nowNs() });
      if (out.kind === "ok" || out.kind === "duplicate") this.#seq = seq;
      else o.logger.warn({ outcome: out.kind, reason: "reason" in out ? out.reason : "" }, "collector self points not stored");
    } catch (err) {
      o.logger.warn({ err: errorMessage(err) }, "collector self points not stored");
    }
  }

  /** Stops the timer and writes a last report. Safe twice and without start. */
  async stop(): Promise<void> {
    if (this.#timer === undefined) return this.#writing;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#report();
  }
}
