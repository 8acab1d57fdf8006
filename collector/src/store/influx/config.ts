// The store.influx section: how to reach InfluxDB. It is checked beyond its
// schema only with store.kind "influx" (so a shell that exports
// EASTWEST_INFLUX_* does not break an embedded collector); see ../config.ts.
import { z } from "zod";
import type { EnvBinding } from "@eastwest/common";

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const influxConfigSchema = z
  .object({
    /** Base URL of the server, e.g. http://127.0.0.1:8086 (InfluxDB) or :8428 (VictoriaMetrics). */
    url: z.string().regex(/^https?:\/\/[^\s/]+/, "must be an http:// or https:// URL"),
    /** v2: POST /api/v2/write (InfluxDB 1.8+, 2.x, 3.x, VictoriaMetrics); v1: POST /write (InfluxDB 1.x). */
    api: z.enum(["v2", "v1"]),
    /** v2 target. */
    org: z.string(),
    bucket: z.string(),
    /** v2: API token ("" for none); v1: sent as "Authorization: Token" when username is "". */
    token: z.string(),
    /** v1 target: database and retention policy ("" for the default). */
    db: z.string(),
    rp: z.string(),
    /** v1 basic auth. */
    username: z.string(),
    password: z.string(),
    /** Timestamp precision on the wire; points are stored at ns locally either way. */
    precision: z.enum(["ns", "us", "ms", "s"]),
    /** Schema uint fields: "integer" ('i', up to 2^63-1: every server) or "unsigned" ('u': InfluxDB 2.x/3.x, VictoriaMetrics). */
    uintFields: z.enum(["integer", "unsigned"]),
    /** Lines per write request. */
    batchSize: z.number().int().min(1).max(100_000),
    /** Retries of one request (429, 5xx, network) before the batches go back to the ingestor as retryable. */
    maxRetries: z.number().int().min(0).max(20),
    minRetryDelayMs: ms(1, 60_000),
    /** Longest back-off; a longer Retry-After is honoured by the ingestor instead. */
    maxRetryDelayMs: ms(1, 600_000),
    timeoutMs: ms(100, 600_000),
  })
  .strict();

/** With kind influx: the target the chosen API needs, and a sane retry range. Tolerates invalid siblings. */
export function checkInfluxTargets(s: { kind: string; influx: Partial<InfluxConfig> }, ctx: z.RefinementCtx): void {
  if (s.kind !== "influx") return;
  const need = (key: "org" | "bucket" | "db", why: string): void => {
    if (s.influx[key] === "") ctx.addIssue({ code: "custom", path: ["influx", key], message: `required with ${why}` });
  };
  if (s.influx.api === "v2") {
    need("org", "api v2");
    need("bucket", "api v2");
  } else if (s.influx.api === "v1") {
    need("db", "api v1");
  }
  const { minRetryDelayMs: min, maxRetryDelayMs: max } = s.influx;
  if (typeof min === "number" && typeof max === "number" && min > max) {
    ctx.addIssue({ code: "custom", path: ["influx", "minRetryDelayMs"], message: "must be <= maxRetryDelayMs" });
  }
}

export type InfluxConfig = z.infer<typeof influxConfigSchema>;

export function influxDefaults(): InfluxConfig {
  return {
    url: "http://127.0.0.1:8086",
    api: "v2",
    org: "eastwest",
    bucket: "eastwest",
    token: "",
    db: "eastwest",
    rp: "",
    username: "",
    password: "",
    precision: "ns",
    uintFields: "integer",
    batchSize: 5000,
    maxRetries: 3,
    minRetryDelayMs: 250,
    maxRetryDelayMs: 10_000,
    timeoutMs: 10_000,
  };
}

const influxEnv = (name: string, key: string, type: EnvBinding["type"] = "string"): EnvBinding => ({ name: `EASTWEST_INFLUX_${name}`, path: ["store", "influx", key], type });

export const INFLUX_ENV: readonly EnvBinding[] = [
  influxEnv("URL", "url"),
  influxEnv("API", "api"),
  influxEnv("ORG", "org"),
  influxEnv("BUCKET", "bucket"),
  influxEnv("TOKEN", "token"),
  influxEnv("DB", "db"),
  influxEnv("RP", "rp"),
  influxEnv("USERNAME", "username"),
  influxEnv("PASSWORD", "password"),
  influxEnv("PRECISION", "precision"),
  influxEnv("UINT_FIELDS", "uintFields"),
  influxEnv("BATCH_SIZE", "batchSize", "number"),
  influxEnv("MAX_RETRIES", "maxRetries", "number"),
  influxEnv("TIMEOUT_MS", "timeoutMs", "number"),
];
