// What startTelemetry() takes; shared by the no-op path and the SDK loader (sdk.ts).
import type { Logger } from "../log.ts";

export interface TelemetryOptions {
  /** OTLP/HTTP base URL, e.g. http://otel-collector:4318; absent = no-op telemetry. */
  otlpEndpoint?: string;
  /** service.name, e.g. "eastwest-collector". */
  serviceName: string;
  /** service.instance.id: the agent or collector id. */
  instanceId?: string;
  version?: string;
  headers?: Record<string, string>;
  /** Metrics export period (default 60 s); a final export happens at shutdown. */
  exportIntervalMs?: number;
  /** Per-export deadline (default 10 s). */
  timeoutMs?: number;
  /** Receives the SDK's own warnings and errors (export failures). */
  logger?: Logger;
}
