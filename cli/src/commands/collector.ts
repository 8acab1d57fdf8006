// `eastwest collector`: gRPC ingest, embedded store, HTTP API, until SIGINT/SIGTERM.
import { accessSync, constants } from "node:fs";
import { ConfigError, createLogger, errorMessage, scheduleThisProcess } from "@eastwest/common";
import { Collector, COLLECTOR_ENV, collectorDefaults, loadCollectorConfig, type CollectorConfig } from "@eastwest/collector";
import type { CliCommand } from "../types.ts";
import { checkTlsFiles, parseFlags, printConfig, withConfigErrors, type FlagMap } from "../flags.ts";
import { stopWithin, untilSignal } from "../signals.ts";
import { flagHelp, type FlagDoc } from "../help.ts";

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
  sink: { path: ["sinks"], type: "list" },
};

export const COLLECTOR_OPTIONS = Object.fromEntries(Object.entries(COLLECTOR_FLAGS).map(([k, v]) => [k, { type: v.type === "boolean" ? ("boolean" as const) : ("string" as const) }]));

const DOCS: Record<string, FlagDoc> = {
  "grpc-host": { arg: "HOST", text: "gRPC listen address; beyond loopback it needs TLS or --grpc-insecure" },
  "grpc-port": { arg: "PORT", text: "gRPC port; 0 picks a free one" },
  "http-host": { arg: "HOST", text: "HTTP API listen address; beyond loopback it needs --http-token-file or --http-insecure" },
  "http-port": { arg: "PORT", text: "HTTP API port; 0 picks a free one" },
  "http-token-file": { arg: "FILE", text: "hashed bearer tokens ('eastwest token new')" },
  "http-insecure": { text: "HTTP API without authentication (logged as a warning at every start)" },
  data: { arg: "FILE", text: "embedded store file" },
  "log-level": { arg: "LEVEL", text: "trace|debug|info|warn|error|fatal|silent" },
  scheduling: { arg: "POLICY", text: "idle (SCHED_IDLE, where the collector shares a host with the traffic it measures) or normal" },
  "otlp-endpoint": { arg: "URL", text: "export the collector's own traces and metrics over OTLP/HTTP" },
  nats: { text: "also consume batches from NATS JetStream" },
  "nats-servers": { arg: "A,B", text: "NATS servers" },
  "tls-ca": { arg: "FILE", text: "gRPC TLS: the CA agents' certificates must come from" },
  "tls-cert": { arg: "FILE", text: "gRPC TLS: the collector's certificate (PEM)" },
  "tls-key": { arg: "FILE", text: "gRPC TLS: its key (PEM)" },
  "tls-client-auth": { arg: "MODE", text: "require|none: whether agents need a certificate (CN or SAN = agent id)" },
  "grpc-insecure": { text: "allow plaintext gRPC on a non-loopback host (logged as a warning at every start)" },
  sink: { arg: "KIND=URL,...", text: "push every stored point: prometheus=URL (remote-write) or otlp=URL (OTLP/HTTP metrics); other options in the config's sinks list" },
};

const USAGE = `usage: eastwest collector [flags]

Receives agent batches over gRPC (and NATS JetStream with --nats), stores them (embedded store by default) and
serves the HTTP API. On SIGTERM/SIGINT it stops within shutdownTimeoutMs (10 s).

flags:
  -c, --config FILE         YAML or JSON config (a "collector:" section or a flat file)
${flagHelp(COLLECTOR_FLAGS, DOCS, collectorDefaults(), COLLECTOR_ENV)}  --print-config            print the effective configuration and exit
  -V, --version             print the version and exit

On start it prints one JSON line to stdout: {"grpc_port":N,"http_port":N}.
`;

/** Each sink's files (CA, token, password) must be readable at start: a bad path is a config error (78), named. */
function checkSinkFiles(sinks: CollectorConfig["sinks"]): void {
  const problems: string[] = [];
  sinks.forEach((k, i) => {
    const files: Array<[string, string]> = [["tls.ca", k.tls.ca], ["bearerTokenFile", k.bearerTokenFile], ["basicAuth.passwordFile", k.basicAuth?.passwordFile ?? ""]];
    for (const [key, path] of files) {
      if (path === "") continue;
      try {
        accessSync(path, constants.R_OK);
      } catch (err) {
        problems.push(`sinks[${i}] (${k.name}).${key}: ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
      }
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

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
      checkSinkFiles(config.sinks);
      const logger = createLogger("collector", config.logLevel);
      // why: an idle collector on a host with no idle CPU would stop answering its agents; the watcher takes it back to normal while it starves.
      // why: a SIGTERM during start-up is a stop once started, not a kill halfway.
      const signalled = untilSignal();
      const scheduled = await scheduleThisProcess(config.scheduling, logger);
      const scheduling = scheduled.guard.state;
      if (scheduling.unavailable) logger.warn({ reason: scheduling.unavailable }, "scheduling idle not applied; the collector runs at normal priority");
      const collector = new Collector(config, logger);
      await collector.start();
      io.stdout(JSON.stringify({ grpc_port: collector.grpcPort, http_port: collector.httpPort }) + "\n");
      await signalled;
      logger.info({ timeoutMs: config.shutdownTimeoutMs }, "collector stopping");
      await scheduled.close();
      const outcome = await stopWithin({ stop: () => collector.stop(), timeoutMs: config.shutdownTimeoutMs, step: () => collector.stopStep, logger });
      if (outcome === "stopped") logger.info("collector stopped");
      return 0;
    }),
};
