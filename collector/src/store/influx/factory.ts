// The InfluxDB point store for a store.influx section: the configured write
// API's transport, wrapped in retries, over a local copy for reads.
import type { Logger } from "@eastwest/common";
import type { PointStore } from "../point-store.ts";
import { InfluxPoints } from "./points.ts";
import type { InfluxConfig } from "./config.ts";
import { RetryingTransport } from "./retry.ts";
import type { InfluxTransport } from "./transport.ts";
import { V1Transport } from "./v1.ts";
import { V2Transport } from "./v2.ts";

export interface InfluxPointsSeams {
  logger?: Logger;
  /** Replaces the configured API's transport (retries still wrap it). */
  transport?: InfluxTransport;
}

/** InfluxDB points with `local` as the copy for reads, written through the configured API with retries. */
export function createInfluxPoints<S>(c: InfluxConfig, local: PointStore<S>, seams: InfluxPointsSeams = {}): InfluxPoints<S> {
  const { logger } = seams;
  const transport = new RetryingTransport(seams.transport ?? influxTransport(c), {
    maxRetries: c.maxRetries,
    minDelayMs: c.minRetryDelayMs,
    maxDelayMs: c.maxRetryDelayMs,
    onRetry: (attempt, delayMs, r) => logger?.warn({ attempt, delayMs, reason: r.kind === "ok" ? "" : r.reason }, "InfluxDB write failed, retrying"),
  });
  return new InfluxPoints({
    transport,
    local,
    line: { precision: c.precision, uint: c.uintFields },
    policy: { batchSize: c.batchSize, retryDelayMs: c.minRetryDelayMs, misconfiguredDelayMs: c.maxRetryDelayMs },
    logger,
  });
}

export function influxTransport(c: InfluxConfig): InfluxTransport {
  if (c.api === "v2") return new V2Transport({ url: c.url, token: c.token, org: c.org, bucket: c.bucket, precision: c.precision, timeoutMs: c.timeoutMs });
  return new V1Transport({ url: c.url, db: c.db, rp: c.rp, username: c.username, password: c.password, token: c.token, precision: c.precision, timeoutMs: c.timeoutMs });
}
