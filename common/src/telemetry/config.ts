// The `otlp:` config section shared by the agent and the collector, its env
// bindings (the OpenTelemetry-standard names) and its mapping to TelemetryOptions.
import { z } from "zod";
import type { EnvBinding } from "../config.ts";
import type { Logger } from "../log.ts";
import type { TelemetryOptions } from "./options.ts";

/** Parses OTEL_EXPORTER_OTLP_HEADERS form: "k1=v1,k2=v2", values percent-encoded. Throws on a malformed pair. */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq).trim() : "";
    if (key === "") throw new Error(`header ${JSON.stringify(pair)}: expected key=value`);
    out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

const headersFromText = z.string().transform((text, ctx) => {
  try {
    return parseOtlpHeaders(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

/**
 * endpoint: OTLP/HTTP base URL (".../v1/traces" and ".../v1/metrics" are appended); absent = telemetry off.
 * headers: sent with every export (a mapping, or the env form "k=v,k2=v2").
 * exportIntervalMs: metrics export period; timeoutMs: per-export deadline.
 */
export const otlpConfigSchema = z
  .object({
    endpoint: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
    headers: z.union([z.record(z.string(), z.string()), headersFromText]),
    exportIntervalMs: z.number().int().min(1000).max(3_600_000),
    timeoutMs: z.number().int().min(100).max(120_000),
  })
  .strict();

export type OtlpConfig = z.infer<typeof otlpConfigSchema>;

export function otlpDefaults(): Record<string, unknown> {
  return { headers: {}, exportIntervalMs: 60_000, timeoutMs: 10_000 };
}

/** Config path of the section is ["otlp", ...]. */
export const OTLP_ENV: readonly EnvBinding[] = [
  { name: "OTEL_EXPORTER_OTLP_ENDPOINT", path: ["otlp", "endpoint"], type: "string" },
  { name: "OTEL_EXPORTER_OTLP_HEADERS", path: ["otlp", "headers"], type: "string" },
  { name: "OTEL_METRIC_EXPORT_INTERVAL", path: ["otlp", "exportIntervalMs"], type: "number" },
];

export function telemetryOptions(otlp: OtlpConfig, serviceName: string, instanceId: string, logger?: Logger): TelemetryOptions {
  return { otlpEndpoint: otlp.endpoint, headers: otlp.headers, serviceName, instanceId, exportIntervalMs: otlp.exportIntervalMs, timeoutMs: otlp.timeoutMs, logger };
}
