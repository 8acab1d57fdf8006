// Collector pipeline counters (self-observability).
import { newLimitCounts, type LimitCounts } from "./limits.ts";

export interface PipelineStats {
  batchesReceived: bigint;
  batchesStored: bigint;
  batchesDuplicate: bigint;
  batchesRejected: bigint;
  /** Refused by the SeqGuard (seq-guard.ts): another session's, sessionless, or too far ahead. */
  batchesRefused: bigint;
  pointsStored: bigint;
  storeErrors: bigint;
  framesUndecodable: bigint;
  /** Frames, messages or requests whose handler failed unexpectedly (a bug): answered with an error, the rest went on. */
  handlerErrors: bigint;
  /** Points removed by retention. */
  pointsPruned: bigint;
  /** Points packed from rows into compact chunks (the embedded file's compaction). */
  pointsCompacted: bigint;
  lagNs: bigint;
  /** Time the ingest thread spent in store writes (group commits, lock waits included). */
  storeWriteNs: bigint;
  /** Times a gRPC stream was paused because the ingest queue was full (Ingestor.saturated; flow control). */
  streamsPaused: bigint;
  /** Now: points of the batches in the Ingestor (being admitted, queued for the store or written). */
  queuedPoints: bigint;
  /** Batches, hellos, frames and agents refused for exceeding a limit, per limit (ingest/limits.ts). */
  refusedByLimit: LimitCounts;
}

export function newStats(): PipelineStats {
  return { batchesReceived: 0n, batchesStored: 0n, batchesDuplicate: 0n, batchesRejected: 0n, batchesRefused: 0n, pointsStored: 0n, storeErrors: 0n, framesUndecodable: 0n, handlerErrors: 0n, pointsPruned: 0n, pointsCompacted: 0n, lagNs: 0n, storeWriteNs: 0n, streamsPaused: 0n, queuedPoints: 0n, refusedByLimit: newLimitCounts() };
}
