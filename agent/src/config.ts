// The agent's configuration: one zod schema; defaults < file < env < flags.
import { hostname } from "node:os";
import { z } from "zod";
import { actionsDefaults, actionsSchema } from "./actions/policy.schema.ts";
import { METRICS_ENV, metricsConfigSchema, metricsDefaults } from "./metrics/config.ts";
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, jsName, loadConfig, natsSecurityProblems, natsSecurityShape, natsServers, subjectPrefix, NATS_SECURITY_ENV, OTLP_ENV, otlpConfigSchema, otlpDefaults, type EnvBinding } from "@eastwest/common";
import { hostOfAddress, pairIssues, plaintextIssues, tlsFileDefaults, tlsFileFields } from "@eastwest/common";

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const samplerConfig = z
  .object({
    enabled: z.boolean().default(true),
    intervalMs: z.number().int().min(10).max(3_600_000).optional(),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    id: z.string().regex(AGENT_ID, "agent id: letters, digits and . _ : - (max 128)"),
    role: z.enum(["auto", "host", "guest"]),
    collector: z
      .object({
        transport: z.enum(["grpc", "nats"]),
        address: z.string().regex(/^[^\s/]+:\d{1,5}$/, "expected host:port"),
        connectTimeoutMs: z.number().int().min(100).max(600_000),
        ackTimeoutMs: z.number().int().min(100).max(600_000),
        /** gRPC: no Welcome this long after the hello: drop the stream and reconnect. */
        welcomeTimeoutMs: z.number().int().min(100).max(600_000),
        backoffMinMs: z.number().int().min(1),
        backoffMaxMs: z.number().int().min(1),
        keepaliveMs: z.number().int().min(1000),
        /** Plaintext gRPC to an address other than loopback; logged as a warning at every start. */
        insecure: z.boolean(),
        /**
         * gRPC over TLS (on when tls.ca is set): ca verifies the collector, cert and key are this agent's own
         * (CN or a SAN = its id); serverName: the name checked in the collector's certificate ("": address's host).
         */
        tls: z.object({ ...tlsFileFields, serverName: z.string() }).strict(),
      })
      .strict(),
    /** Used when collector.transport is "nats"; see common/src/nats/subjects.ts for the subject scheme. */
    nats: z
      .object({
        servers: natsServers,
        subjectPrefix,
        site: z.string().min(1).max(64),
        stream: jsName,
        helloEveryMs: z.number().int().min(1000).max(3_600_000),
        /** Ids of the collectors whose commands this agent serves over NATS; [] serves none. */
        collectors: z
          .union([z.string(), z.array(z.string())])
          .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
          .pipe(z.array(z.string().min(1).max(128)).max(64)),
        ...natsSecurityShape,
      })
      .strict(),
    intervalMs: z.number().int().min(10).max(3_600_000),
    /** The agent's own health points (eastwest_agent, eastwest_sampler) at most this often, whatever the sampling rate. */
    selfIntervalMs: z.number().int().min(100).max(3_600_000),
    samplers: z.record(z.string(), samplerConfig).default({}),
    batch: z.object({ maxPoints: z.number().int().min(1).max(50_000), maxDelayMs: z.number().int().min(1) }).strict(),
    buffer: z.object({ maxBatches: z.number().int().min(1), maxInFlight: z.number().int().min(1) }).strict(),
    /** Holding samples during traffic runs (the hold command; runtime/scheduler.ts): its memory and time limits. */
    hold: z.object({ maxBytes: z.number().int().min(1024 * 1024).max(4 * 1024 ** 3), maxMs: z.number().int().min(1000).max(3_600_000) }).strict(),
    procRoot: z.string().min(1),
    sysRoot: z.string().min(1),
    calibrate: z.boolean(),
    /** CPU scheduling policy: "idle" (SCHED_IDLE, runs only where no other task wants the CPU) or "normal"; common/src/sched.ts. */
    scheduling: z.enum(["idle", "normal"]),
    /** Where apply_settings journals what it changed, so that a restarted agent puts it back; "": the default (see settings.action.ts). */
    settingsJournalDir: z.string(),
    /** Every batch on disk until acked (runtime/spool.ts): <dir>/<id>/; "": the default (/var/lib/eastwest/spool as root). */
    spool: z
      .object({
        dir: z.string(),
        maxBytes: z.number().int().min(64 * 1024),
        segmentBytes: z.number().int().min(4096).max(1024 ** 3),
        fsync: z.enum(["always", "interval", "never"]),
        fsyncIntervalMs: z.number().int().min(10).max(600_000),
        retryMs: z.number().int().min(100).max(3_600_000),
      })
      .strict(),
    /** Commands that change the host or make load, allowed one by one; default none (actions/policy.ts). */
    actions: actionsSchema,
    /** Self-instrumentation over OTLP/HTTP; off without otlp.endpoint. */
    otlp: otlpConfigSchema,
    /** GET /metrics of the agent's own latest samples for Prometheus; off without listen (metrics/config.ts). */
    metrics: metricsConfigSchema,
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.collector.backoffMaxMs < c.collector.backoffMinMs)
      ctx.addIssue({ code: "custom", path: ["collector", "backoffMaxMs"], message: "must be >= backoffMinMs" });
    if (c.spool.maxBytes < 2 * c.spool.segmentBytes)
      ctx.addIssue({ code: "custom", path: ["spool", "maxBytes"], message: "must be >= 2 x segmentBytes" });
    for (const i of collectorTlsIssues(c.collector)) ctx.addIssue({ code: "custom", ...i, path: ["collector", ...i.path] });
    for (const [path, message] of natsSecurityProblems(c.nats, c.collector.transport === "nats")) ctx.addIssue({ code: "custom", path: ["nats", ...path], message });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;

function collectorTlsIssues(c: { transport: string; address: string; insecure: boolean; tls: { ca: string; cert: string; key: string } }): Array<{ path: string[]; message: string }> {
  if (c.transport !== "grpc") return [];
  const on = c.tls.ca !== "";
  return [
    ...pairIssues(c.tls, ["tls"]),
    ...(c.tls.cert !== "" && !on ? [{ path: ["tls", "ca"], message: "needed to verify the collector's certificate" }] : []),
    ...plaintextIssues({ host: hostOfAddress(c.address), what: c.address, secure: on, insecure: c.insecure, tlsKeys: "collector.tls.ca, cert, key", at: ["address"] }),
  ];
}

export function agentDefaults(): Record<string, unknown> {
  return {
    id: hostname().replace(/[^A-Za-z0-9._:-]/g, "-") || "agent",
    role: "auto",
    collector: {
      transport: "grpc",
      address: "127.0.0.1:7470",
      connectTimeoutMs: 5000,
      ackTimeoutMs: 30_000,
      welcomeTimeoutMs: 10_000,
      backoffMinMs: 100,
      backoffMaxMs: 5000,
      keepaliveMs: 10_000,
      insecure: false,
      tls: { ...tlsFileDefaults(), serverName: "" },
    },
    nats: { servers: ["nats://127.0.0.1:4222"], subjectPrefix: DEFAULT_SUBJECT_PREFIX, site: "default", stream: DEFAULT_STREAM, helloEveryMs: 30_000, collectors: [], insecure: false },
    intervalMs: 1000,
    selfIntervalMs: 1000,
    samplers: {},
    batch: { maxPoints: 500, maxDelayMs: 1000 },
    buffer: { maxBatches: 2000, maxInFlight: 64 },
    hold: { maxBytes: 64 * 1024 * 1024, maxMs: 600_000 },
    procRoot: "/proc",
    sysRoot: "/sys",
    calibrate: false,
    scheduling: "idle",
    settingsJournalDir: "",
    spool: { dir: "", maxBytes: 64 * 1024 * 1024, segmentBytes: 8 * 1024 * 1024, fsync: "interval", fsyncIntervalMs: 1000, retryMs: 10_000 },
    actions: actionsDefaults(),
    otlp: otlpDefaults(),
    metrics: metricsDefaults(),
    logLevel: "info",
  };
}

export const AGENT_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_AGENT_ID", path: ["id"], type: "string" },
  { name: "EASTWEST_AGENT_ROLE", path: ["role"], type: "string" },
  { name: "EASTWEST_COLLECTOR", path: ["collector", "address"], type: "string" },
  { name: "EASTWEST_TRANSPORT", path: ["collector", "transport"], type: "string" },
  { name: "EASTWEST_COLLECTOR_INSECURE", path: ["collector", "insecure"], type: "boolean" },
  { name: "EASTWEST_TLS_CA", path: ["collector", "tls", "ca"], type: "string" },
  { name: "EASTWEST_TLS_CERT", path: ["collector", "tls", "cert"], type: "string" },
  { name: "EASTWEST_TLS_KEY", path: ["collector", "tls", "key"], type: "string" },
  { name: "EASTWEST_TLS_SERVER_NAME", path: ["collector", "tls", "serverName"], type: "string" },
  { name: "EASTWEST_NATS_SERVERS", path: ["nats", "servers"], type: "string" },
  { name: "EASTWEST_NATS_SITE", path: ["nats", "site"], type: "string" },
  ...NATS_SECURITY_ENV,
  { name: "EASTWEST_INTERVAL_MS", path: ["intervalMs"], type: "number" },
  { name: "EASTWEST_PROC_ROOT", path: ["procRoot"], type: "string" },
  { name: "EASTWEST_SYS_ROOT", path: ["sysRoot"], type: "string" },
  { name: "EASTWEST_SETTINGS_JOURNAL_DIR", path: ["settingsJournalDir"], type: "string" },
  { name: "EASTWEST_SPOOL_DIR", path: ["spool", "dir"], type: "string" },
  { name: "EASTWEST_SPOOL_MAX_BYTES", path: ["spool", "maxBytes"], type: "number" },
  { name: "EASTWEST_SPOOL_FSYNC", path: ["spool", "fsync"], type: "string" },
  { name: "EASTWEST_WELCOME_TIMEOUT_MS", path: ["collector", "welcomeTimeoutMs"], type: "number" },
  { name: "EASTWEST_AGENT_SCHEDULING", path: ["scheduling"], type: "string" },
  { name: "EASTWEST_LOG_LEVEL", path: ["logLevel"], type: "string" },
  { name: "EASTWEST_AGENT_SAMPLERS", path: ["samplers"], type: "json" },
  { name: "EASTWEST_AGENT_ACTIONS", path: ["actions"], type: "json" },
  { name: "EASTWEST_NATS_COLLECTORS", path: ["nats", "collectors"], type: "string" },
  ...OTLP_ENV,
  ...METRICS_ENV,
];

export function loadAgentConfig(opts: { file?: string; env: Record<string, string | undefined>; flags: Record<string, unknown>; problems?: string[] }): AgentConfig {
  return loadConfig({
    schema: agentConfigSchema,
    defaults: agentDefaults(),
    file: opts.file,
    env: opts.env,
    envBindings: AGENT_ENV,
    flags: opts.flags,
    problems: opts.problems,
    section: "agent",
  });
}
