// What held the collector's ingest thread between two self-reports: the event loop's longest delay (a timer
// that fired late: garbage collection, a long synchronous step) and the longest store write (a group commit,
// lock waits included). why: an agent's ack waits for both, and an operator looking at a slow ack needs to see
// which; the cumulative write time is PipelineStats.storeWriteNs. Reported as eastwest_collector's
// event_loop_delay_max_ns / _p99_ns and store_write_max_ns (self-report.ts).
import { monitorEventLoopDelay, performance, type ELDHistogram, type EventLoopUtilization } from "node:perf_hooks";

/** The histogram's timer period (ms): delays shorter than this are not resolved. */
export const LOOP_RESOLUTION_MS = 10;
const RESOLUTION_NS = BigInt(LOOP_RESOLUTION_MS * 1e6);

export interface StallWindow {
  /** Longest time the loop's timer fired late (its period taken out); 0 without a sample. */
  loopDelayMaxNs: bigint;
  loopDelayP99Ns: bigint;
  /** Longest store write; 0 when none finished in the window. */
  storeWriteMaxNs: bigint;
  /**
   * The event loop's utilization over the window (0..1): the share of it the thread was running, not waiting. why:
   * the loop's delay says how long one step held it, this how close the thread is to saturation.
   */
  loopUtilization: number;
}

/** The delay a histogram value (the time between two timer callbacks) stands for. */
export function loopDelayNs(intervalNs: number): bigint {
  if (!Number.isFinite(intervalNs) || intervalNs <= 0) return 0n;
  const d = BigInt(Math.round(intervalNs)) - RESOLUTION_NS;
  return d > 0n ? d : 0n;
}

export class StallWatch {
  #loop: ELDHistogram | undefined;
  #writeMaxNs = 0n;
  #elu: EventLoopUtilization | undefined;

  /** Starts watching the event loop (a timer every LOOP_RESOLUTION_MS, unref'd by Node). Safe twice. */
  start(): void {
    this.#loop ??= monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.#loop.enable();
    this.#elu ??= performance.eventLoopUtilization();
  }

  stop(): void {
    this.#loop?.disable();
  }

  /** One store write took ns. */
  wrote(ns: bigint): void {
    if (ns > this.#writeMaxNs) this.#writeMaxNs = ns;
  }

  /** The window since the previous take(), and a new one begins. */
  take(): StallWindow {
    const h = this.#loop;
    const seen = h !== undefined && h.count > 0;
    const elu = this.#elu === undefined ? undefined : performance.eventLoopUtilization();
    const out: StallWindow = {
      loopDelayMaxNs: seen ? loopDelayNs(h.max) : 0n,
      loopDelayP99Ns: seen ? loopDelayNs(h.percentile(99)) : 0n,
      storeWriteMaxNs: this.#writeMaxNs,
      loopUtilization: elu === undefined ? 0 : performance.eventLoopUtilization(elu, this.#elu).utilization,
    };
    if (elu !== undefined) this.#elu = elu;
    h?.reset();
    this.#writeMaxNs = 0n;
    return out;
  }
}
