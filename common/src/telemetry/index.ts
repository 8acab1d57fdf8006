// @eastwest/common/telemetry: the programs' own traces and metrics over OTLP (start.ts: no-op without an endpoint,
// the SDK loaded on demand) and the span helpers for runs and campaigns. Its configuration (config.ts: zod only)
// and telemetryOptions() are exported from the package root: loading a config loads no OpenTelemetry module.
// loadMetricsRequest(): OTLP requests of points sampled earlier (the collector's OTLP sink).
export { startTelemetry, type Telemetry, type TelemetryOptions } from "./start.ts";
export type { OtlpDataPoint, OtlpEncoding, OtlpMetric, OtlpResourceMetrics } from "./metrics-request.ts";
/** The OTLP metrics request serializer (metrics-request.ts), loaded on demand: it loads the SDK's metric packages. */
export const loadMetricsRequest = (): Promise<typeof import("./metrics-request.ts")> => import("./metrics-request.ts");
export { failSpan, inSpan, SPAN_ATTR, TRACER_NAME, tracedCommands, type CommandSender } from "./spans.ts";
