// The collector's pipeline counters (PipelineStats) as OpenTelemetry observable
// instruments, read once per collection. With a no-op meter this costs nothing.
import type { BatchObservableResult, Meter } from "@opentelemetry/api";
import type { PipelineStats } from "./stats.ts";

/** Monotonic counters: metric name (OTLP) -> the PipelineStats field it reads. */
export const PIPELINE_COUNTERS = {
  "eastwest.pipeline.batches_received": { field: "batchesReceived", unit: "{batch}", description: "batches received from agents" },
  "eastwest.pipeline.batches_stored": { field: "batchesStored", unit: "{batch}", description: "batches durably stored and acked" },
  "eastwest.pipeline.batches_duplicate": { field: "batchesDuplicate", unit: "{batch}", description: "resent batches already stored (acked, not stored again)" },
  "eastwest.pipeline.batches_rejected": { field: "batchesRejected", unit: "{batch}", description: "batches that failed validation" },
  "eastwest.pipeline.batches_refused": { field: "batchesRefused", unit: "{batch}", description: "batches refused for their session epoch or seq (limits.maxSeqAhead)" },
  "eastwest.pipeline.points_stored": { field: "pointsStored", unit: "{point}", description: "points stored" },
  "eastwest.pipeline.store_errors": { field: "storeErrors", unit: "{error}", description: "store writes that failed" },
  "eastwest.pipeline.frames_undecodable": { field: "framesUndecodable", unit: "{frame}", description: "frames that did not decode" },
  "eastwest.pipeline.handler_errors": { field: "handlerErrors", unit: "{error}", description: "frames, messages or requests whose handler failed unexpectedly (answered with an error)" },
  "eastwest.pipeline.points_pruned": { field: "pointsPruned", unit: "{point}", description: "points removed by retention (store.retentionDays)" },
  "eastwest.pipeline.points_compacted": { field: "pointsCompacted", unit: "{point}", description: "points packed from rows into compact chunks (embedded file)" },
} as const satisfies Record<string, { field: Exclude<keyof PipelineStats, "refusedByLimit">; unit: string; description: string }>;

/** Counter with attribute `limit` (a name of ingest/limits.ts): what was refused for exceeding that limit. */
export const PIPELINE_LIMIT_REFUSALS = "eastwest.pipeline.limit_refusals";

/** Gauge: time from a batch's receipt to its durable store, for the latest stored batch. */
export const PIPELINE_LAG = "eastwest.pipeline.lag";

/** Registers the instruments on `meter`; the returned function unregisters them (safe twice). */
export function observePipeline(meter: Meter, stats: PipelineStats): () => void {
  const counters = Object.entries(PIPELINE_COUNTERS).map(([name, c]) => ({ c, inst: meter.createObservableCounter(name, { unit: c.unit, description: c.description }) }));
  const lag = meter.createObservableGauge(PIPELINE_LAG, { unit: "s", description: "receipt-to-store time of the latest stored batch" });
  const refusals = meter.createObservableCounter(PIPELINE_LIMIT_REFUSALS, { unit: "{refusal}", description: "batches, hellos, frames and agents refused for exceeding a limit (attribute limit)" });
  const callback = (result: BatchObservableResult) => {
    for (const { c, inst } of counters) result.observe(inst, Number(stats[c.field]));
    result.observe(lag, Number(stats.lagNs) / 1e9);
    for (const [limit, n] of Object.entries(stats.refusedByLimit)) result.observe(refusals, Number(n), { limit });
  };
  const instruments = [...counters.map((x) => x.inst), lag, refusals];
  meter.addBatchObservableCallback(callback, instruments);
  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    meter.removeBatchObservableCallback(callback, instruments);
  };
}
