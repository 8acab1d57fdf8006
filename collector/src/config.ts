// The collector's configuration: one zod schema; defaults < file < env < flags.
import { z } from "zod";
import { DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, jsName, loadConfig, NATS_SECURITY_ENV, natsSecurityProblems, natsSecurityShape, natsServers, subjectPrefix, OTLP_ENV, otlpConfigSchema, otlpDefaults, type EnvBinding } from "@eastwest/common";
import { pairIssues, plaintextIssues, tlsFileDefaults, tlsFileFields } from "@eastwest/common";
import { STORE_ENV, storeConfigSchema, storeDefaults } from "./store/config.ts";
import { HTTP_ENV, httpConfigSchema, httpDefaults } from "./http/config.ts";
import { PROMETHEUS_DEFAULTS, PROMETHEUS_ENV, prometheusConfigSchema } from "./http/prometheus.ts";
import { DEFAULT_LIMITS, LIMITS_ENV, limitsSchema, MAX_GROUP_POINTS, MAX_QUEUED_POINTS } from "./ingest/limits.ts";
import { SINKS_ENV, sinksConfigSchema } from "./sink/config.ts";

const listen = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();

/**
 * gRPC ingest: where it listens and its TLS (on when tls.cert and tls.key are set). clientAuth "require" (the
 * default) asks every agent for a certificate from tls.ca whose CN or a SAN is the agent id of its hello.
 * insecure: plaintext on a host other than loopback, logged as a warning at every start.
 *
 * Connection management (grpc-js options of the same names): the server pings a connection after
 * keepaliveTimeMs without traffic and closes it when no answer comes within keepaliveTimeoutMs (dead or half-open
 * peers); closes a connection without streams after maxConnectionIdleMs (garbage, bad preface or header block, a
 * client that never opens a stream); and asks every connection to go away after maxConnectionAgeMs, closing it
 * maxConnectionAgeGraceMs later (agents reconnect and resend what is unacked). A stream whose batches have waited
 * busyNoticeMs without an ack (a slow or failing store, flow control) is told it is busy, again every busyNoticeMs;
 * the agent restarts its ack deadline instead of reconnecting (ingest/busy.ts).
 */
const grpc = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    insecure: z.boolean(),
    tls: z.object({ ...tlsFileFields, clientAuth: z.enum(["require", "none"]) }).strict(),
    keepaliveTimeMs: z.number().int().min(1000),
    keepaliveTimeoutMs: z.number().int().min(100),
    maxConnectionIdleMs: z.number().int().min(100),
    maxConnectionAgeMs: z.number().int().min(1000),
    maxConnectionAgeGraceMs: z.number().int().min(0),
    busyNoticeMs: z.number().int().min(100),
  })
  .strict()
  .superRefine((g, ctx) => {
    const on = g.tls.cert !== "";
    const issues = [
      ...pairIssues(g.tls, ["tls"]),
      ...(g.tls.ca !== "" && !on ? [{ path: ["tls", "ca"], message: "needs tls.cert and tls.key (the collector's own certificate)" }] : []),
      ...(on && g.tls.clientAuth === "require" && g.tls.ca === "" ? [{ path: ["tls", "ca"], message: "needed to verify agents' certificates (clientAuth: require); clientAuth: none accepts agents without one" }] : []),
      ...plaintextIssues({ host: g.host, what: g.host, secure: on, insecure: g.insecure, tlsKeys: "grpc.tls.cert, key, ca", at: ["host"] }),
    ];
    for (const i of issues) ctx.addIssue({ code: "custom", ...i });
  });

/** The NATS JetStream receiver (off unless enabled); see ingest/nats.ts. */
const nats = z
  .object({
    enabled: z.boolean(),
    servers: natsServers,
    subjectPrefix,
    stream: jsName,
    consumer: jsName,
    /** Stream retention by age (0: unlimited) and size (-1: unlimited). */
    maxAgeMs: z.number().int().min(0),
    maxBytes: z.number().int().min(-1),
    duplicateWindowMs: z.number().int().min(1000),
    replicas: z.number().int().min(1).max(5),
    /** Redelivery of a batch a collector took but did not ack (crash, hang). */
    ackWaitMs: z.number().int().min(1000),
    /** -1: redeliver until acked or terminated. */
    maxDeliver: z.number().int().min(-1).refine((n) => n !== 0, "must be -1 or >= 1"),
    /** Messages per pull request, and batches being stored at once by this collector. */
    fetchBatch: z.number().int().min(1).max(10_000),
    maxInFlight: z.number().int().min(1).max(100_000),
    /** Redelivery delay after the store stayed unavailable. */
    nakDelayMs: z.number().int().min(0),
    connectTimeoutMs: z.number().int().min(100).max(600_000),
    /** Credentials and TLS: common/src/nats/security.ts. */
    ...natsSecurityShape,
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.maxAgeMs > 0 && n.duplicateWindowMs > n.maxAgeMs) ctx.addIssue({ code: "custom", path: ["duplicateWindowMs"], message: "must be <= maxAgeMs" });
    for (const [path, message] of natsSecurityProblems(n, n.enabled)) ctx.addIssue({ code: "custom", path, message });
  });

export const collectorConfigSchema = z
  .object({
    id: z.string().min(1).max(128),
    grpc,
    /** The HTTP JSON API: listen address, tokens, limits; see http/config.ts. */
    http: httpConfigSchema,
    /** GET /metrics on the HTTP API: the latest point of every series for Prometheus; see http/prometheus.ts. */
    prometheus: prometheusConfigSchema,
    /** Embedded SQLite, or InfluxDB beside a local SQLite file; see store/config.ts. */
    store: storeConfigSchema,
    nats,
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    /**
     * CPU scheduling policy of the collector process: "normal", or "idle" (SCHED_IDLE) where it shares a host with
     * the traffic it measures, as in `eastwest demo`; see common/src/sched.ts.
     */
    scheduling: z.enum(["idle", "normal"]),
    /** Self-instrumentation over OTLP/HTTP; off without otlp.endpoint. */
    otlp: otlpConfigSchema,
    /** How often the collector writes its own points (eastwest_collector, eastwest_collector_limit). */
    selfIntervalMs: z.number().int().min(100),
    /**
     * After SIGTERM/SIGINT the process exits within this, whatever is still open (streams to vanished agents, a
     * campaign restoring settings on them, a store that does not answer). Nothing acked is lost: batches are acked
     * only after a durable store, so what was in flight is resent by the agents.
     */
    shutdownTimeoutMs: z.number().int().min(100).max(600_000),
    /** What agents may make the collector hold; see ingest/limits.ts. */
    limits: limitsSchema,
    /**
     * Flow control: points in the ingest pipeline (admitted, queued for the store, being written) at most; past it
     * gRPC streams are paused until half of it is left, so a fleet that offers more than the store writes waits in
     * the agents' outboxes instead of the collector's memory; see ingest/ingestor.ts.
     */
    maxQueuedPoints: z.number().int().min(1000),
    /**
     * Points per group commit at most: one commit is one synchronous store write on the ingest thread, and the HTTP
     * API and every stream wait while it runs; see ingest/ingestor.ts.
     */
    maxGroupPoints: z.number().int().min(100),
    /** Push targets for every stored point (Prometheus remote-write, OTLP); see sink/config.ts and sink/forwarder.ts. */
    sinks: sinksConfigSchema,
  })
  .strict();

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;

export function collectorDefaults(): Record<string, unknown> {
  return {
    id: "collector",
    grpc: {
      host: "127.0.0.1",
      port: 7470,
      insecure: false,
      tls: { ...tlsFileDefaults(), clientAuth: "require" },
      keepaliveTimeMs: 30_000,
      keepaliveTimeoutMs: 10_000,
      maxConnectionIdleMs: 30_000,
      maxConnectionAgeMs: 86_400_000,
      maxConnectionAgeGraceMs: 300_000,
      busyNoticeMs: 10_000,
    },
    http: httpDefaults(),
    prometheus: { ...PROMETHEUS_DEFAULTS },
    store: storeDefaults(),
    nats: {
      enabled: false,
      servers: ["nats://127.0.0.1:4222"],
      subjectPrefix: DEFAULT_SUBJECT_PREFIX,
      stream: DEFAULT_STREAM,
      consumer: DEFAULT_CONSUMER,
      maxAgeMs: 7 * 86_400_000,
      maxBytes: -1,
      duplicateWindowMs: 120_000,
      replicas: 1,
      ackWaitMs: 30_000,
      maxDeliver: -1,
      fetchBatch: 128,
      maxInFlight: 256,
      nakDelayMs: 1000,
      connectTimeoutMs: 5000,
      insecure: false,
    },
    logLevel: "info",
    shutdownTimeoutMs: 10_000,
    scheduling: "normal",
    otlp: otlpDefaults(),
    selfIntervalMs: 10_000,
    limits: { ...DEFAULT_LIMITS },
    maxQueuedPoints: MAX_QUEUED_POINTS,
    maxGroupPoints: MAX_GROUP_POINTS,
    sinks: [],
  };
}

export const COLLECTOR_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_COLLECTOR_ID", path: ["id"], type: "string" },
  { name: "EASTWEST_GRPC_HOST", path: ["grpc", "host"], type: "string" },
  { name: "EASTWEST_GRPC_PORT", path: ["grpc", "port"], type: "number" },
  ...HTTP_ENV,
  ...PROMETHEUS_ENV,
  { name: "EASTWEST_GRPC_INSECURE", path: ["grpc", "insecure"], type: "boolean" },
  { name: "EASTWEST_TLS_CA", path: ["grpc", "tls", "ca"], type: "string" },
  { name: "EASTWEST_TLS_CERT", path: ["grpc", "tls", "cert"], type: "string" },
  { name: "EASTWEST_TLS_KEY", path: ["grpc", "tls", "key"], type: "string" },
  { name: "EASTWEST_TLS_CLIENT_AUTH", path: ["grpc", "tls", "clientAuth"], type: "string" },
  ...STORE_ENV,
  { name: "EASTWEST_NATS_ENABLED", path: ["nats", "enabled"], type: "boolean" },
  { name: "EASTWEST_NATS_SERVERS", path: ["nats", "servers"], type: "string" },
  ...NATS_SECURITY_ENV,
  { name: "EASTWEST_LOG_LEVEL", path: ["logLevel"], type: "string" },
  { name: "EASTWEST_SHUTDOWN_TIMEOUT_MS", path: ["shutdownTimeoutMs"], type: "number" },
  { name: "EASTWEST_COLLECTOR_SCHEDULING", path: ["scheduling"], type: "string" },
  ...OTLP_ENV,
  ...LIMITS_ENV,
  { name: "EASTWEST_MAX_QUEUED_POINTS", path: ["maxQueuedPoints"], type: "number" },
  { name: "EASTWEST_MAX_GROUP_POINTS", path: ["maxGroupPoints"], type: "number" },
  ...SINKS_ENV,
];

export function loadCollectorConfig(opts: { file?: string; env: Record<string, string | undefined>; flags: Record<string, unknown>; problems?: string[] }): CollectorConfig {
  return loadConfig({
    schema: collectorConfigSchema,
    defaults: collectorDefaults(),
    file: opts.file,
    env: opts.env,
    envBindings: COLLECTOR_ENV,
    flags: opts.flags,
    problems: opts.problems,
    section: "collector",
  });
}
