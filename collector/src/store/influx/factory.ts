// The store the collector's configuration asks for.
import type { Logger } from "@eastwest/common";
import { EmbeddedStore } from "../embedded/store.ts";
import { InfluxStore } from "./points.ts";
import type { InfluxConfig, StoreConfig } from "./config.ts";
import { RetryingTransport } from "./retry.ts";
import type { InfluxTransport } from "./transport.ts";
import { V1Transport } from "./v1.ts";
import { V2Transport } from "./v2.ts";
import type { Store } from "../types.ts";

/** Embedded: the SQLite file alone. Influx: InfluxDB for points, the SQLite file for the rest and for reads. */
export function createStore(cfg: StoreConfig, logger?: Logger): Store {
  if (cfg.kind === "embedded") return new EmbeddedStore(cfg.path);
  return createInfluxStore(cfg.influx, new EmbeddedStore(cfg.path), { logger });
}

export interface InfluxStoreSeams {
  logger?: Logger;
  /** Replaces the configured API's transport (retries still wrap it). */
  transport?: InfluxTransport;
}

/** An InfluxStore over `local`, writing through the configured API with retries. */
export function createInfluxStore(c: InfluxConfig, local: Store, seams: InfluxStoreSeams = {}): InfluxStore {
  const { logger } = seams;
  const transport = new RetryingTransport(seams.transport ?? influxTransport(c), {
    maxRetries: c.maxRetries,
    minDelayMs: c.minRetryDelayMs,
    maxDelayMs: c.maxRetryDelayMs,
    onRetry: (attempt, delayMs, r) => logger?.warn({ attempt, delayMs, reason: r.kind === "ok" ? "" : r.reason }, "InfluxDB write failed, retrying"),
  });
  return new InfluxStore({
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
