// What each sink counts since the collector started, written with the collector's own points as
// eastwest_collector_sink (common/src/schema/self.ts), so GET /metrics and every sink carry it too.
import type { Sample } from "@eastwest/common";

export interface SinkStats {
  sentRequests: bigint;
  sentPoints: bigint;
  sentSamples: bigint;
  sentBytes: bigint;
  /** Attempts that failed retryably and were tried again. */
  retries: bigint;
  /** Requests the receiver refused (4xx but 429): dropped, never resent. */
  droppedRequests: bigint;
  droppedSamples: bigint;
  /** Stored points skipped by the queue bounds (maxLagPoints, maxAgeMs) before any attempt. */
  skippedPoints: bigint;
  /** Stored points not forwarded yet (from the log's positions). */
  lagPoints: bigint;
  /** The last attempt was answered 2xx. */
  up: boolean;
}

export function newSinkStats(): SinkStats {
  return { sentRequests: 0n, sentPoints: 0n, sentSamples: 0n, sentBytes: 0n, retries: 0n, droppedRequests: 0n, droppedSamples: 0n, skippedPoints: 0n, lagPoints: 0n, up: false };
}

/** One eastwest_collector_sink point per sink. */
export function sinkPoints(collectorId: string, sinks: ReadonlyArray<{ name: string; kind: string; stats: SinkStats }>, timeNs: bigint): Sample[] {
  return sinks.map(({ name, kind, stats: s }) => ({
    measurement: "eastwest_collector_sink",
    tags: { collector_id: collectorId, sink: name, kind },
    fields: {
      sent_requests_total: s.sentRequests,
      sent_points_total: s.sentPoints,
      sent_samples_total: s.sentSamples,
      sent_bytes_total: s.sentBytes,
      retries_total: s.retries,
      dropped_requests_total: s.droppedRequests,
      dropped_samples_total: s.droppedSamples,
      skipped_points_total: s.skippedPoints,
      lag_points: s.lagPoints,
      up: s.up,
    },
    timeNs,
  }));
}
