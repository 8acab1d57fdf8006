// The agent's configuration: one zod schema; defaults < file < env < flags.
import { hostname } from "node:os";
import { z } from "zod";
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, jsName, loadConfig, natsSecurityProblems, natsSecurityShape, natsServers, subjectPrefix, NATS_SECURITY_ENV, OTLP_ENV, otlpConfigSchema, otlpDefaults, type EnvBinding } from "@eastwest/common";

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
    role: z.enum(["host", "guest"]),
    collector: z
      .object({
        transport: z.enum(["grpc", "nats"]),
        address: z.string().regex(/^[^\s/]+:\d{1,5}$/, "expected host:port"),
        connectTimeoutMs: z.number().int().min(100).max(600_000),
        ackTimeoutMs: z.number().int().min(100).max(600_000),
        backoffMinMs: z.number().int().min(1),
        backoffMaxMs: z.number().int().min(1),
        keepaliveMs: z.number().int().min(1000),
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
    /** Where unacked batches are kept across a stop (<dir>/<id>.jsonl); "": the default (runtime/spool.ts). */
    spoolDir: z.string(),
    /** Self-instrumentation over OTLP/HTTP; off without otlp.endpoint. */
    otlp: otlpConfigSchema,
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.collector.backoffMaxMs < c.collector.backoffMinMs)
      ctx.addIssue({ code: "custom", path: ["collector", "backoffMaxMs"], message: "must be >= backoffMinMs" });
    for (const [path, message] of natsSecurityProblems(c.nats, c.collector.transport === "nats")) ctx.addIssue({ code: "custom", path: ["nats", ...path], message });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function agentDefaults(): Record<string, unknown> {
  return {
    id: hostname().replace(/[^A-Za-z0-9._:-]/g, "-") || "agent",
    role: "host",
    collector: {
      transport: "grpc",
      address: "127.0.0.1:7470",
      connectTimeoutMs: 5000,
      ackTimeoutMs: 30_000,
      backoffMinMs: 100,
      backoffMaxMs: 5000,
      keepaliveMs: 10_000,
    },
    nats: { servers: ["nats://127.0.0.1:4222"], subjectPrefix: DEFAULT_SUBJECT_PREFIX, site: "default", stream: DEFAULT_STREAM, helloEveryMs: 30_000, insecure: false },
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
    spoolDir: "",
    otlp: otlpDefaults(),
    logLevel: "info",
  };
}

export const AGENT_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_AGENT_ID", path: ["id"], type: "string" },
  { name: "EASTWEST_AGENT_ROLE", path: ["role"], type: "string" },
  { name: "EASTWEST_COLLECTOR", path: ["collector", "address"], type: "string" },
  { name: "EASTWEST_TRANSPORT", path: ["collector", "transport"], type: "string" },
  { name: "EASTWEST_NATS_SERVERS", path: ["nats", "servers"], type: "string" },
  { name: "EASTWEST_NATS_SITE", path: ["nats", "site"], type: "string" },
  ...NATS_SECURITY_ENV,
  { name: "EASTWEST_INTERVAL_MS", path: ["intervalMs"], type: "number" },
  { name: "EASTWEST_PROC_ROOT", path: ["procRoot"], type: "string" },
  { name: "EASTWEST_SYS_ROOT", path: ["sysRoot"], type: "string" },
  { name: "EASTWEST_SETTINGS_JOURNAL_DIR", path: ["settingsJournalDir"], type: "string" },
  { name: "EASTWEST_SPOOL_DIR", path: ["spoolDir"], type: "string" },
  { name: "EASTWEST_AGENT_SCHEDULING", path: ["scheduling"], type: "string" },
  { name: "EASTWEST_LOG_LEVEL", path: ["logLevel"], type: "string" },
  { name: "EASTWEST_AGENT_SAMPLERS", path: ["samplers"], type: "json" },
  ...OTLP_ENV,
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
