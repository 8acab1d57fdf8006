// GET /metrics: the latest point of every series in the store (the latest-point table /api/v1/latest reads, the
// collector's own eastwest_collector points included) as a Prometheus exposition, common/src/prom. Text format
// 0.0.4, or OpenMetrics 1.0.0 when Accept asks for it (Prometheus does); gzip when Accept-Encoding allows it.
// Access is the API's (auth.ts): open on loopback, else a read token (Prometheus: `authorization: credentials_file`).
//
// The `prometheus` config section: enabled, staleAfterMs (a series whose latest point is older is left out, so
// Prometheus marks it stale; default 5 min), maxSeries (samples per scrape, default 200,000: beyond it the rest
// are left out in the store's order — measurement, then tag key — counted in eastwest_metrics_truncated_series
// and logged once a minute at most).
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { z } from "zod";
import { allMeasurements, type EnvBinding, type ThrottledLog } from "@eastwest/common";
import { CONTENT_TYPES, Exposer, negotiate } from "@eastwest/common/prom";
import type { Store } from "../store/types.ts";
import type { MetricsRequest, Reply } from "./handlers.ts";

export const prometheusConfigSchema = z
  .object({
    /** Serve GET /metrics on the HTTP API. */
    enabled: z.boolean(),
    /** A series whose latest point is older than this is left out; 0 keeps every series. */
    staleAfterMs: z.number().int().min(0).max(30 * 86_400_000),
    /** Samples per scrape at most. */
    maxSeries: z.number().int().min(1).max(10_000_000),
  })
  .strict();

export type PrometheusConfig = z.infer<typeof prometheusConfigSchema>;

export const PROMETHEUS_DEFAULTS: PrometheusConfig = { enabled: true, staleAfterMs: 300_000, maxSeries: 200_000 };

export const PROMETHEUS_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_PROMETHEUS_ENABLED", path: ["prometheus", "enabled"], type: "boolean" },
  { name: "EASTWEST_PROMETHEUS_STALE_AFTER_MS", path: ["prometheus", "staleAfterMs"], type: "number" },
  { name: "EASTWEST_PROMETHEUS_MAX_SERIES", path: ["prometheus", "maxSeries"], type: "number" },
];

const gzipAsync = promisify(gzip);
/** Smaller bodies go uncompressed. */
const GZIP_MIN_BYTES = 4096;

let exposer: Exposer | undefined;

/** The exposition as a reply; store failures reject with StoreError (503 in server.ts). */
export async function metricsReply(req: MetricsRequest, deps: { store: Store; clock: () => bigint; config: PrometheusConfig; collectorId: string; log?: ThrottledLog }): Promise<Reply> {
  if (!deps.config.enabled) return { status: 404, body: { error: "GET /metrics is off (prometheus.enabled: false)" } };
  exposer ??= new Exposer(allMeasurements());
  const format = negotiate(req.accept);
  const rows = await deps.store.latest({});
  const r = exposer.render(rows, {
    format,
    nowNs: deps.clock(),
    staleAfterNs: BigInt(deps.config.staleAfterMs) * 1_000_000n,
    maxSeries: deps.config.maxSeries,
    selfLabels: { collector_id: deps.collectorId },
  });
  if (r.truncated > 0)
    deps.log?.warn("prometheus truncated", { series: r.series, truncated: r.truncated, maxSeries: deps.config.maxSeries }, "GET /metrics reached prometheus.maxSeries: series left out (see eastwest_metrics_truncated_series)");
  const headers: Record<string, string> = { "content-type": CONTENT_TYPES[format], vary: "Accept, Accept-Encoding" };
  let raw: Buffer = Buffer.from(r.text, "utf8");
  if (!req.head && raw.length >= GZIP_MIN_BYTES && /\bgzip\b/i.test(req.acceptEncoding ?? "")) {
    raw = await gzipAsync(raw, { level: 1 });
    headers["content-encoding"] = "gzip";
  }
  return { status: 200, body: null, headers, raw };
}
