// The collector's `sinks` section: a list of push targets for every stored point (see forwarder.ts for delivery).
// Each entry is an object, or the shorthand "KIND=URL" (the --sink flag's form), which takes every default.
//
//   kind        prometheus (remote-write 1.0) | otlp (OTLP/HTTP metrics)
//   name        unique; names the sink's cursor in the store and its eastwest_collector_sink series (default: kind)
//   url         the receiver's full URL (Prometheus: .../api/v1/write; OTLP: .../v1/metrics)
//   encoding    otlp only: protobuf (default) | json
//   headers     extra request headers
//   bearerTokenFile / basicAuth {username, passwordFile}   read at every request (rotation needs no restart)
//   tls.ca      PEM bundle the receiver's certificate must chain to (https); default: the system's CAs
//   timeoutMs   per request; batchPoints: stored points per request (a point is one sample per numeric field)
//   pollMs      how often an idle sink looks for new points
//   startFrom   where a sink without a cursor yet begins: now (points stored from its first start on) | oldest
//   retry       minDelayMs, maxDelayMs: exponential backoff with full jitter between attempts
//   queue       maxLagPoints: stored points not yet forwarded, at most (beyond: the oldest are skipped);
//               maxAgeMs: points older than this (by their own time) are skipped instead of sent; 0: no bound
import { z } from "zod";
import type { EnvBinding } from "@eastwest/common";

export const SINK_KINDS = ["prometheus", "otlp"] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

const sinkObject = z
  .object({
    kind: z.enum(SINK_KINDS),
    name: z.string().regex(NAME_RE, "letters, digits, _ . - (at most 64)").optional(),
    url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
    encoding: z.enum(["protobuf", "json"]).default("protobuf"),
    headers: z.record(z.string(), z.string()).default({}),
    bearerTokenFile: z.string().default(""),
    basicAuth: z.object({ username: z.string().min(1), passwordFile: z.string().min(1) }).strict().optional(),
    tls: z.object({ ca: z.string().default("") }).strict().default({ ca: "" }),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    batchPoints: z.number().int().min(1).max(100_000).default(2_000),
    pollMs: z.number().int().min(10).max(600_000).default(1_000),
    startFrom: z.enum(["now", "oldest"]).default("now"),
    retry: z
      .object({ minDelayMs: z.number().int().min(1).max(600_000).default(500), maxDelayMs: z.number().int().min(1).max(3_600_000).default(30_000) })
      .strict()
      .default({ minDelayMs: 500, maxDelayMs: 30_000 }),
    queue: z
      .object({ maxLagPoints: z.number().int().min(0).default(10_000_000), maxAgeMs: z.number().int().min(0).default(86_400_000) })
      .strict()
      .default({ maxLagPoints: 10_000_000, maxAgeMs: 86_400_000 }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.bearerTokenFile !== "" && s.basicAuth !== undefined) ctx.addIssue({ code: "custom", path: ["basicAuth"], message: "one of bearerTokenFile and basicAuth" });
    if (s.retry.minDelayMs > s.retry.maxDelayMs) ctx.addIssue({ code: "custom", path: ["retry", "minDelayMs"], message: "must be <= retry.maxDelayMs" });
    if (s.kind === "prometheus" && s.encoding === "json") ctx.addIssue({ code: "custom", path: ["encoding"], message: "remote-write is protobuf only" });
  });

/** "KIND=URL" -> { kind, url }; anything else goes to the object schema as it is (and fails there). */
function shorthand(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const at = v.indexOf("=");
  return at < 0 ? v : { kind: v.slice(0, at).trim(), url: v.slice(at + 1).trim() };
}

export const sinkConfigSchema = z.preprocess(shorthand, sinkObject).transform((s) => ({ ...s, name: s.name ?? s.kind }));

export type SinkConfig = z.output<typeof sinkConfigSchema>;

export const sinksConfigSchema = z.array(sinkConfigSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `a second sink named ${s.name} (give each a name)` });
    seen.add(s.name);
  });
});

export const SINKS_ENV: readonly EnvBinding[] = [{ name: "EASTWEST_SINKS", path: ["sinks"], type: "json" }];
