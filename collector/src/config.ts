// The collector's configuration: one zod schema; defaults < file < env < flags.
import { z } from "zod";
import { loadConfig, type EnvBinding } from "@eastwest/common";

const listen = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();

export const collectorConfigSchema = z
  .object({
    id: z.string().min(1).max(128),
    grpc: listen,
    http: listen,
    store: z.object({ kind: z.enum(["embedded"]), path: z.string().min(1) }).strict(),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  })
  .strict();

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;

export function collectorDefaults(): Record<string, unknown> {
  return {
    id: "collector",
    grpc: { host: "127.0.0.1", port: 7470 },
    http: { host: "127.0.0.1", port: 7471 },
    store: { kind: "embedded", path: "eastwest-data/eastwest.db" },
    logLevel: "info",
  };
}

export const COLLECTOR_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_COLLECTOR_ID", path: ["id"], type: "string" },
  { name: "EASTWEST_GRPC_HOST", path: ["grpc", "host"], type: "string" },
  { name: "EASTWEST_GRPC_PORT", path: ["grpc", "port"], type: "number" },
  { name: "EASTWEST_HTTP_HOST", path: ["http", "host"], type: "string" },
  { name: "EASTWEST_HTTP_PORT", path: ["http", "port"], type: "number" },
  { name: "EASTWEST_STORE_PATH", path: ["store", "path"], type: "string" },
  { name: "EASTWEST_LOG_LEVEL", path: ["logLevel"], type: "string" },
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
