// Self-instrumentation. With an OTLP endpoint, startTelemetry() loads and starts
// the OpenTelemetry SDK (sdk.ts: traces and metrics over OTLP/HTTP JSON). Without
// one, nothing beyond @opentelemetry/api is loaded: tracer and meter are no-ops,
// no request leaves the process. Telemetry never fails its host program: an SDK
// that cannot load or export is logged at warn and the program goes on.
//
// The SDK is process-global (it registers the API's global providers). Every
// startTelemetry() with an endpoint holds it; the last shutdown() stops it.
import { metrics, trace, type Meter, type Tracer } from "@opentelemetry/api";
import { errorMessage } from "../errors.ts";
import type { TelemetryOptions } from "./options.ts";

export type { TelemetryOptions };

export interface Telemetry {
  /** True when an SDK is exporting for this handle. */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Flushes pending spans and metrics (when the last holder); never throws; safe twice. */
  shutdown(): Promise<void>;
}

interface Shared {
  endpoint: string;
  holders: number;
  /** Resolves, once the SDK runs, with the function that stops it. */
  started: Promise<() => Promise<void>>;
}

let shared: Shared | undefined;
/** The previous SDK's stop, awaited before a new SDK registers (its unregistering must not hit the new one). */
let lastStop: Promise<void> = Promise.resolve();

function handle(o: TelemetryOptions, enabled: boolean, stop: () => Promise<void>): Telemetry {
  let stopping: Promise<void> | undefined;
  return {
    enabled,
    // why: taken after the SDK registered its providers; the metrics API has no proxy, a meter taken before stays a no-op.
    tracer: trace.getTracer(o.serviceName, o.version),
    meter: metrics.getMeter(o.serviceName, o.version),
    shutdown: () => (stopping ??= stop()),
  };
}

/** No SDK, no export: the API's no-op tracer and meter (or whatever SDK this process already runs). */
export function noopTelemetry(serviceName: string): Telemetry {
  return handle({ serviceName }, false, async () => undefined);
}

/** Starts (or joins) the process's SDK when o.otlpEndpoint is set; otherwise, or when it cannot start, a no-op handle. */
export async function startTelemetry(o: TelemetryOptions): Promise<Telemetry> {
  const endpoint = o.otlpEndpoint;
  if (!endpoint) return noopTelemetry(o.serviceName);
  if (shared && shared.endpoint !== endpoint) o.logger?.warn({ endpoint, active: shared.endpoint }, "telemetry: this process already exports to another endpoint; sharing it");
  const s = (shared ??= { endpoint, holders: 0, started: lastStop.then(() => import("./sdk.ts")).then((m) => m.startSdk({ ...o, otlpEndpoint: endpoint })) });
  s.holders += 1;
  let stopSdk: () => Promise<void>;
  try {
    stopSdk = await s.started;
  } catch (err) {
    s.holders -= 1;
    if (shared === s) shared = undefined;
    o.logger?.warn({ err: errorMessage(err) }, "telemetry: OpenTelemetry SDK did not start; continuing without it");
    return noopTelemetry(o.serviceName);
  }
  return handle(o, true, async () => {
    s.holders -= 1;
    if (s.holders > 0) return;
    if (shared === s) shared = undefined;
    await (lastStop = stopSdk());
  });
}
