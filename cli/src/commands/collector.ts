// `eastwest collector`: gRPC ingest, embedded store, HTTP API, until SIGINT/SIGTERM.
import { applyScheduling, createLogger, realSchedDeps } from "@eastwest/common";
import { Collector, loadCollectorConfig } from "@eastwest/collector";
import type { CliCommand } from "../types.ts";
import { checkTlsFiles, parseFlags, printConfig, withConfigErrors, type FlagMap } from "../flags.ts";
import { stopWithin, untilSignal } from "../signals.ts";

export const COLLECTOR_FLAGS: FlagMap = {
  "grpc-host": { path: ["grpc", "host"], type: "string" },
  "grpc-port": { path: ["grpc", "port"], type: "number" },
  "http-host": { path: ["http", "host"], type: "string" },
  "http-port": { path: ["http", "port"], type: "number" },
  "http-token-file": { path: ["http", "tokenFile"], type: "string" },
  "http-insecure": { path: ["http", "insecure"], type: "boolean" },
  data: { path: ["store", "path"], type: "string" },
  "log-level": { path: ["logLevel"], type: "string" },
  scheduling: { path: ["scheduling"], type: "string" },
  "otlp-endpoint": { path: ["otlp", "endpoint"], type: "string" },
  nats: { path: ["nats", "enabled"], type: "boolean" },
  "nats-servers": { path: ["nats", "servers"], type: "list" },
  "tls-ca": { path: ["grpc", "tls", "ca"], type: "string" },
  "tls-cert": { path: ["grpc", "tls", "cert"], type: "string" },
  "tls-key": { path: ["grpc", "tls", "key"], type: "string" },
  "tls-client-auth": { path: ["grpc", "tls", "clientAuth"], type: "string" },
  "grpc-insecure": { path: ["grpc", "insecure"], type: "boolean" },
};

export const COLLECTOR_OPTIONS = Object.fromEntries(Object.entries(COLLECTOR_FLAGS).map(([k, v]) => [k, { type: v.type === "boolean" ? ("boolean" as const) : ("string" as const) }]));

const USAGE = `usage: eastwest collector [flags]

Receives agent batches over gRPC, stores them (embedded store by default) and
serves the HTTP JSON API.

flags:
  -c, --config FILE    YAML or JSON config (a "collector:" section or a flat file)
  --grpc-host HOST     (127.0.0.1)                      env EASTWEST_GRPC_HOST
  --grpc-port PORT     (7470; 0 picks a free port)      env EASTWEST_GRPC_PORT
  --http-host HOST     (127.0.0.1)                      env EASTWEST_HTTP_HOST
  --http-port PORT     (7471; 0 picks a free port)      env EASTWEST_HTTP_PORT
  --http-token-file FILE  hashed bearer tokens ('eastwest token new'); needed
                       to listen off loopback            env EASTWEST_HTTP_TOKEN_FILE
  --http-insecure      HTTP API without authentication (logged as a warning)
                                                        env EASTWEST_HTTP_INSECURE
  --data FILE          embedded store file (eastwest-data/eastwest.db) env EASTWEST_STORE_PATH
  --log-level LEVEL    trace|debug|info|warn|error|silent env EASTWEST_LOG_LEVEL
  --scheduling idle|normal  CPU policy; idle (SCHED_IDLE) where the collector
                       shares a host with the traffic it measures (normal)
                                                        env EASTWEST_COLLECTOR_SCHEDULING
  --otlp-endpoint URL  export own traces and metrics over OTLP/HTTP (off)
  --nats               also consume batches from NATS JetStream  env EASTWEST_NATS_ENABLED
  --nats-servers A,B   NATS servers (nats://127.0.0.1:4222)      env EASTWEST_NATS_SERVERS
                                                        env OTEL_EXPORTER_OTLP_ENDPOINT
  --tls-cert FILE      gRPC over TLS: the collector's certificate  env EASTWEST_TLS_CERT
  --tls-key FILE       and its key (PEM)                            env EASTWEST_TLS_KEY
  --tls-ca FILE        CA that agents' certificates must come from  env EASTWEST_TLS_CA
  --tls-client-auth require|none  (require) whether agents need a
                       certificate (CN or SAN = agent id)  env EASTWEST_TLS_CLIENT_AUTH
  --grpc-insecure      allow plaintext gRPC on a non-loopback host  env EASTWEST_GRPC_INSECURE
                       (logged as a warning; without TLS only loopback is allowed)
  --print-config       print the effective configuration and exit

On start it prints one JSON line to stdout: {"grpc_port":N,"http_port":N}.
`;

export const collectorCommand: CliCommand = {
  name: "collector",
  summary: "run the collector: gRPC ingest, embedded store, HTTP API",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values, flags, problems } = parseFlags(argv, COLLECTOR_OPTIONS, COLLECTOR_FLAGS);
      if (values["help"]) return io.stdout(USAGE), 0;
      const config = loadCollectorConfig({ file: values["config"] as string | undefined, env: process.env, flags, problems });
      if (values["print-config"]) return printConfig(io, config);
      if (config.grpc.tls.cert !== "") checkTlsFiles("grpc.tls", config.grpc.tls);
      const logger = createLogger("collector", config.logLevel);
      const scheduling = applyScheduling(config.scheduling, realSchedDeps());
      if (scheduling.unavailable) logger.warn({ reason: scheduling.unavailable }, "scheduling idle not applied; the collector runs at normal priority");
      const collector = new Collector(config, logger);
      await collector.start();
      io.stdout(JSON.stringify({ grpc_port: collector.grpcPort, http_port: collector.httpPort }) + "\n");
      await untilSignal();
      logger.info({ timeoutMs: config.shutdownTimeoutMs }, "collector stopping");
      const outcome = await stopWithin({ stop: () => collector.stop(), timeoutMs: config.shutdownTimeoutMs, step: () => collector.stopStep, logger });
      if (outcome === "stopped") logger.info("collector stopped");
      return 0;
    }),
};
