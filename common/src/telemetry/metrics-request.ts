// OTLP metrics requests of data points the caller already has (with their own timestamps), serialized by the
// OpenTelemetry packages (@opentelemetry/otlp-transformer), not by hand: the SDK's instruments stamp every point
// with the collection time, so points sampled earlier are given to the serializer as ResourceMetrics directly.
// Sums are cumulative; `monotonic` marks counters. One request carries one resource.
import { ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";

export interface OtlpDataPoint {
  attributes: Readonly<Record<string, string>>;
  /** Unix epoch ns: when the value was sampled. */
  timeNs: bigint;
  /** Unix epoch ns the cumulative sum counts from; 0n: unknown. */
  startNs: bigint;
  value: number;
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  kind: "sum" | "gauge";
  /** Sums only: a counter (never decreases but on a reset). */
  monotonic: boolean;
  /** Integer values (asInt) rather than doubles. */
  integer: boolean;
  points: OtlpDataPoint[];
}

export interface OtlpResourceMetrics {
  resource: Readonly<Record<string, string>>;
  scope: { name: string; version: string };
  metrics: OtlpMetric[];
}

export type OtlpEncoding = "protobuf" | "json";

export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = { protobuf: "application/x-protobuf", json: "application/json" };

const hrTime = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

function metricData(m: OtlpMetric): MetricData {
  const descriptor = { name: m.name, description: m.description, unit: m.unit, valueType: m.integer ? ValueType.INT : ValueType.DOUBLE };
  const dataPoints = m.points.map((p) => ({ attributes: { ...p.attributes }, startTime: hrTime(p.startNs), endTime: hrTime(p.timeNs), value: p.value }));
  if (m.kind === "sum") return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: m.monotonic, dataPoints };
  return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
}

/** An ExportMetricsServiceRequest of one resource. Throws when the serializer gives nothing (it found no way to encode). */
export function serializeMetricsRequest(r: OtlpResourceMetrics, encoding: OtlpEncoding): Uint8Array {
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ ...r.resource }),
    scopeMetrics: [{ scope: { name: r.scope.name, version: r.scope.version }, metrics: r.metrics.map(metricData) }],
  };
  const out = (encoding === "json" ? JsonMetricsSerializer : ProtobufMetricsSerializer).serializeRequest(rm);
  if (out === undefined) throw new Error("OTLP serializer produced no request");
  return out;
}
