// Collector pipeline counters (self-observability).
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
  /** Points removed by retention. */
  pointsPruned: bigint;
  lagNs: bigint;
}

export function newStats(): PipelineStats {
  return { batchesReceived: 0n, batchesStored: 0n, batchesDuplicate: 0n, batchesRejected: 0n, batchesRefused: 0n, pointsStored: 0n, storeErrors: 0n, framesUndecodable: 0n, pointsPruned: 0n, lagNs: 0n };
}
