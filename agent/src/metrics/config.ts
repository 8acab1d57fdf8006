// The agent's `metrics` section: its own latest samples on GET /metrics for a Prometheus that scrapes agents directly
// (like node_exporter); off while `listen` is "". The HTTP API's rule applies: a listen address other than loopback
// needs `tokenFile` (the bearer token Prometheus sends, e.g. its `authorization: credentials_file`) or
// `insecure: true` (no authentication, warned at every start); anything else is a config error (exit 78).
import { z } from "zod";
import { hostOfAddress, isLoopbackHost, type EnvBinding } from "@eastwest/common";

export const metricsConfigSchema = z
  .object({
    /** "host:port" or "[v6]:port"; "" for off. */
    listen: z.union([z.literal(""), z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):\d{1,5}$/, "expected host:port or [v6]:port")]),
    /** A file holding the one bearer token a scrape must send; "" for none (loopback only). Re-read when it changes. */
    tokenFile: z.string(),
    /** Serve beyond loopback without a token. */
    insecure: z.boolean(),
    /** A series whose latest sample is older is left out (and forgotten); 0 keeps every series. */
    staleAfterMs: z.number().int().min(0).max(86_400_000),
    /**
     * Samples per scrape at most (the rest left out in series-key order, counted in eastwest_metrics_truncated_series),
     * and series (measurement + tag set) kept in memory at most (samples of new series beyond it are not kept).
     */
    maxSeries: z.number().int().min(1).max(1_000_000),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (typeof m.listen !== "string" || m.listen === "" || m.tokenFile !== "" || m.insecure === true) return;
    if (!isLoopbackHost(hostOfAddress(m.listen)))
      ctx.addIssue({
        code: "custom",
        path: ["listen"],
        message: `${m.listen} is not a loopback address: set metrics.tokenFile (a file with the bearer token Prometheus sends) or, to serve without authentication, metrics.insecure: true`,
      });
  });

export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

export function metricsDefaults(): MetricsConfig {
  return { listen: "", tokenFile: "", insecure: false, staleAfterMs: 300_000, maxSeries: 50_000 };
}

export const METRICS_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_METRICS_LISTEN", path: ["metrics", "listen"], type: "string" },
  { name: "EASTWEST_METRICS_TOKEN_FILE", path: ["metrics", "tokenFile"], type: "string" },
  { name: "EASTWEST_METRICS_INSECURE", path: ["metrics", "insecure"], type: "boolean" },
];
