// OpenTelemetry as eastwest runs it: manual spans only (no
// auto-instrumentation), OTLP/HTTP JSON exporters for traces and metrics, no
// logs, no resource detectors, no propagator. Loaded on demand by start.ts only.
// why the providers and not the Node SDK package: it imports every exporter it
// can configure (Zipkin, Prometheus, OTLP over gRPC and protobuf, logs), and an
// ESM bundle evaluates their Node imports at start whether telemetry is on or
// not; Zipkin's namespace import of `http` alone made every agent load Node's
// fetch implementation (undici).
import { context, diag, DiagLogLevel, metrics, propagation, trace, type DiagLogger } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { TelemetryOptions } from "./options.ts";

function diagLogger(logger: Logger): DiagLogger {
  const warn = (msg: string, ...args: unknown[]) => logger.warn({ args: args.map((a) => errorMessage(a)) }, `opentelemetry: ${msg}`);
  const drop = () => undefined;
  return { error: warn, warn, info: drop, debug: drop, verbose: drop };
}

/** Starts the SDK and registers it globally; the returned stop() flushes, shuts down and unregisters, never throwing. */
export function startSdk(o: TelemetryOptions & { otlpEndpoint: string }): () => Promise<void> {
  const base = o.otlpEndpoint.replace(/\/+$/, "");
  const intervalMs = o.exportIntervalMs ?? 60_000;
  const exporterOpts = { headers: o.headers ?? {}, timeoutMillis: o.timeoutMs ?? 10_000 };
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: o.serviceName };
  if (o.instanceId) attributes[ATTR_SERVICE_INSTANCE_ID] = o.instanceId;
  if (o.version) attributes[ATTR_SERVICE_VERSION] = o.version;
  const resource = resourceFromAttributes(attributes);
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces`, ...exporterOpts }), exportTimeoutMillis: exporterOpts.timeoutMillis })],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, ...exporterOpts }),
        exportIntervalMillis: intervalMs,
        exportTimeoutMillis: Math.min(exporterOpts.timeoutMillis, intervalMs),
      }),
    ],
  });
  if (o.logger) diag.setLogger(diagLogger(o.logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  // why: spans started in one step of an async flow (startActiveSpan) are the parents of those in the next.
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    try {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    } catch (err) {
      o.logger?.warn({ err: errorMessage(err) }, "telemetry: final export failed");
    } finally {
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
      diag.disable();
    }
  };
}
