// `eastwest agent`: samplers -> collector over gRPC, until SIGINT/SIGTERM; its
// outbox as OpenTelemetry metrics when otlp.endpoint is set.
import type { Meter } from "@opentelemetry/api";
import { atNormal, createLogger, scheduleThisProcess, telemetryOptions, type Scheduled, type SchedState } from "@eastwest/common";
import { startTelemetry } from "@eastwest/common/telemetry";
import { Agent, calibrate, loadAgentConfig, realExec } from "@eastwest/agent";
import type { CliCommand } from "../types.ts";
import { checkTlsFiles, parseFlags, printConfig, withConfigErrors, type FlagMap } from "../flags.ts";
import { untilSignal } from "../signals.ts";

export const AGENT_FLAGS: FlagMap = {
  id: { path: ["id"], type: "string" },
  role: { path: ["role"], type: "string" },
  collector: { path: ["collector", "address"], type: "string" },
  "interval-ms": { path: ["intervalMs"], type: "number" },
  "proc-root": { path: ["procRoot"], type: "string" },
  "sys-root": { path: ["sysRoot"], type: "string" },
  "log-level": { path: ["logLevel"], type: "string" },
  calibrate: { path: ["calibrate"], type: "boolean" },
  scheduling: { path: ["scheduling"], type: "string" },
  "otlp-endpoint": { path: ["otlp", "endpoint"], type: "string" },
  transport: { path: ["collector", "transport"], type: "string" },
  "nats-servers": { path: ["nats", "servers"], type: "list" },
  "spool-dir": { path: ["spool", "dir"], type: "string" },
  "spool-fsync": { path: ["spool", "fsync"], type: "string" },
  "nats-collectors": { path: ["nats", "collectors"], type: "list" },
  actions: { path: ["actions"], type: "json" },
  "tls-ca": { path: ["collector", "tls", "ca"], type: "string" },
  "tls-cert": { path: ["collector", "tls", "cert"], type: "string" },
  "tls-key": { path: ["collector", "tls", "key"], type: "string" },
  "tls-server-name": { path: ["collector", "tls", "serverName"], type: "string" },
  insecure: { path: ["collector", "insecure"], type: "boolean" },
  "metrics-listen": { path: ["metrics", "listen"], type: "string" },
  "metrics-token-file": { path: ["metrics", "tokenFile"], type: "string" },
  "metrics-insecure": { path: ["metrics", "insecure"], type: "boolean" },
};

const USAGE = `usage: eastwest agent [flags]

Samples this host (or guest, or network namespace) and streams batches to a collector.

flags:
  -c, --config FILE      YAML or JSON config (an "agent:" section or a flat file)
  --id ID                agent id (default: host name)          env EASTWEST_AGENT_ID
  --role auto|host|guest (default auto: guest in a VM without   env EASTWEST_AGENT_ROLE
                         /dev/kvm, else host; logged at start)
  --collector HOST:PORT  collector gRPC address (127.0.0.1:7470) env EASTWEST_COLLECTOR
  --interval-ms N        default sampling interval (1000)       env EASTWEST_INTERVAL_MS
  --proc-root DIR        read /proc from DIR (tests)            env EASTWEST_PROC_ROOT
  --sys-root DIR         read /sys from DIR (tests)             env EASTWEST_SYS_ROOT
  --calibrate            measure cost-model constants at start
  --scheduling idle|normal  CPU policy (idle: SCHED_IDLE, takes only CPU
                         no other task wants; iperf3 and calibration still
                         run normal; needs CAP_SYS_NICE) (idle) env EASTWEST_AGENT_SCHEDULING
  --log-level LEVEL      trace|debug|info|warn|error|silent     env EASTWEST_LOG_LEVEL
  --otlp-endpoint URL    export own metrics over OTLP/HTTP (off) env OTEL_EXPORTER_OTLP_ENDPOINT
  --transport grpc|nats  how batches travel (grpc)               env EASTWEST_TRANSPORT
  --nats-servers A,B     NATS servers for --transport nats       env EASTWEST_NATS_SERVERS
  --spool-dir DIR        unacked batches on disk, DIR/<id>/       env EASTWEST_SPOOL_DIR
  --spool-fsync always|interval|never  (interval: every 1 s)     env EASTWEST_SPOOL_FSYNC
  --nats-collectors A,B  collector ids whose commands run over NATS (none)
                                                                env EASTWEST_NATS_COLLECTORS
  --actions JSON         commands that change the host or make load, allowed
                         (none: monitor-only), e.g. '{"traffic":true,"hold":true,
                         "settings":[{"kind":"ethtool_feature","interfaces":["^tap"]}]}'
                                                                env EASTWEST_AGENT_ACTIONS
  --tls-ca FILE          gRPC over TLS: CA of the collector's certificate  env EASTWEST_TLS_CA
  --tls-cert FILE        this agent's certificate (CN or SAN = --id)        env EASTWEST_TLS_CERT
  --tls-key FILE         and its key (PEM)                                  env EASTWEST_TLS_KEY
  --tls-server-name NAME name checked in the collector's certificate
                         (default: the host of --collector)        env EASTWEST_TLS_SERVER_NAME
  --insecure             allow plaintext gRPC to a non-loopback collector   env EASTWEST_COLLECTOR_INSECURE
                         (logged as a warning; without TLS only loopback is allowed)
  --metrics-listen ADDR  serve GET /metrics (Prometheus) of this agent's latest
                         samples on ADDR, e.g. 127.0.0.1:9471 (off)  env EASTWEST_METRICS_LISTEN
  --metrics-token-file FILE  bearer token a scrape must send; needed for an
                         ADDR beyond loopback                  env EASTWEST_METRICS_TOKEN_FILE
  --metrics-insecure     serve ADDR beyond loopback without a token (warned)
                                                                env EASTWEST_METRICS_INSECURE
  --print-config         print the effective configuration and exit
`;

/** The agent's outbox as OpenTelemetry instruments, read once per collection. */
function observeOutbox(meter: Meter, agent: Agent): void {
  const buffered = meter.createObservableGauge("eastwest.agent.buffered_batches", { unit: "{batch}", description: "batches waiting for an ack" });
  const acked = meter.createObservableCounter("eastwest.agent.batches_acked", { unit: "{batch}", description: "batches acked by the collector" });
  const resent = meter.createObservableCounter("eastwest.agent.batches_resent", { unit: "{batch}", description: "batches sent again after a reconnect or timeout" });
  const dropped = meter.createObservableCounter("eastwest.agent.points_dropped", { unit: "{point}", description: "points dropped because the outbox was full" });
  meter.addBatchObservableCallback((r) => {
    const s = agent.outbox.stats();
    r.observe(buffered, s.bufferedBatches);
    r.observe(acked, Number(s.ackedBatches));
    r.observe(resent, Number(s.resentBatches));
    r.observe(dropped, Number(s.droppedPoints));
  }, [buffered, acked, resent, dropped]);
}

export const agentCommand: CliCommand = {
  name: "agent",
  summary: "run an agent: sample /proc, TCP flows, offloads; stream to a collector",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const opts = Object.fromEntries(Object.entries(AGENT_FLAGS).map(([k, v]) => [k, { type: v.type === "boolean" ? ("boolean" as const) : ("string" as const) }]));
      const { values, flags, problems } = parseFlags(argv, opts, AGENT_FLAGS);
      if (values["help"]) return io.stdout(USAGE), 0;
      const config = loadAgentConfig({ file: values["config"] as string | undefined, env: process.env, flags, problems });
      if (values["print-config"]) return printConfig(io, config);
      if (config.collector.transport === "grpc" && config.collector.tls.ca !== "") checkTlsFiles("collector.tls", config.collector.tls);
      const logger = createLogger("agent", config.logLevel);
      const telemetry = await startTelemetry(telemetryOptions(config.otlp, "eastwest-agent", config.id, logger));
      // why: start-up (loading, probing the samplers' sources, calibration) runs at normal priority, once; the
      // steady state runs under config.scheduling, with a watcher thread that leaves SCHED_IDLE while the agent starves.
      let scheduled: Scheduled | undefined;
      const scheduling = (): SchedState => scheduled?.guard.state ?? { policy: "normal" };
      // why: calibration measures this host's copy and system call costs; at SCHED_IDLE any other task would inflate them.
      const agent = new Agent(config, { logger, scheduling, calibrate: () => calibrate({ exec: atNormal(scheduling, realExec) }) });
      observeOutbox(telemetry.meter, agent);
      // why: from here on a SIGTERM is a stop, not a kill: start-up (samplers, the watcher thread) takes a while
      // on a busy host, and the batches it already made must reach the spool's orderly close.
      const signalled = untilSignal();
      try {
        await agent.start();
        scheduled = await scheduleThisProcess(config.scheduling, logger);
        const applied = scheduled.guard.state;
        if (applied.unavailable) logger.warn({ reason: applied.unavailable }, "scheduling idle not applied; the agent runs at normal priority");
        logger.info({ id: config.id, collector: config.collector.address, scheduling: applied.policy }, "agent started");
        await signalled;
        logger.info("agent stopping");
        await scheduled.close();
        await agent.stop();
      } finally {
        await telemetry.shutdown();
      }
      return 0;
    }),
};
