// `eastwest up`: the embedded-defaults main job for one machine: a collector
// (embedded store, HTTP API) plus a local agent as a separate process.
import { dirname, join, resolve } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { MAIN_SCRIPT } from "../self.ts";
import { ConfigError, createLogger, scheduleThisProcess } from "@eastwest/common";
import { Collector, loadCollectorConfig, type CollectorConfig } from "@eastwest/collector";
import type { CliCommand } from "../types.ts";
import { checkTlsFiles, parseFlags, printConfig, withConfigErrors, type FlagMap } from "../flags.ts";
import { untilSignal } from "../signals.ts";
import { COLLECTOR_FLAGS, COLLECTOR_OPTIONS } from "./collector.ts";

const MAIN = MAIN_SCRIPT;

const USAGE = `usage: eastwest up [flags]

Starts a collector on the embedded store and a local agent (a separate process)
that samples this host, and serves the HTTP API. Stops on Ctrl-C, or after
--duration-s seconds. Accepts every collector flag, plus:

  --duration-s N       stop after N seconds (default: run until Ctrl-C)
  --interval-ms N      the agent's sampling interval (1000)
  --agent-id ID        the local agent's id (default: host name)
  --agent-tls-cert FILE, --agent-tls-key FILE
                       with --tls-cert/--tls-key: the local agent's certificate
                       and key (CN or SAN = its id; eastwest certs agent ID);
                       it trusts --tls-ca and connects to 127.0.0.1
`;

interface LocalAgent {
  id?: string | undefined;
  intervalMs?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** The local agent's TLS flags: the collector's CA, its own certificate; ConfigError when TLS lacks them. */
function agentTlsArgs(config: CollectorConfig, a: LocalAgent): string[] {
  const t = config.grpc.tls;
  if (t.cert === "") return [];
  const missing = t.clientAuth === "require" && (!a.cert || !a.key);
  if (t.ca === "" || missing) throw new ConfigError(["eastwest up with grpc.tls: the local agent needs --tls-ca and, with clientAuth require, --agent-tls-cert and --agent-tls-key (eastwest certs agent ID --out DIR)"]);
  checkTlsFiles("agent-tls", { ca: t.ca, cert: a.cert, key: a.key });
  return ["--tls-ca", t.ca, ...(a.cert && a.key ? ["--tls-cert", a.cert, "--tls-key", a.key] : [])];
}

/** The local agent exports its own telemetry where the collector does (otlpEndpoint). */
function spawnAgent(grpcPort: number, a: LocalAgent, tlsArgs: string[], logLevel: string, otlpEndpoint: string | undefined, spoolDir: string): ChildProcess {
  const args = [MAIN, "agent", "--collector", `127.0.0.1:${grpcPort}`, "--log-level", logLevel, "--spool-dir", spoolDir, ...tlsArgs];
  if (a.id) args.push("--id", a.id);
  if (a.intervalMs) args.push("--interval-ms", a.intervalMs);
  if (otlpEndpoint) args.push("--otlp-endpoint", otlpEndpoint);
  // why: the collector's EASTWEST_TLS_* are its server files, not the agent's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("EASTWEST_TLS_")));
  return spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], env });
}

export const upCommand: CliCommand = {
  name: "up",
  summary: "collector + local agent on the embedded store (the one-machine main job)",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const map: FlagMap = { ...COLLECTOR_FLAGS, "duration-s": { path: ["_durationS"], type: "number" }, "interval-ms": { path: ["_intervalMs"], type: "number" } };
      const local = { "agent-id": { type: "string" }, "agent-tls-cert": { type: "string" }, "agent-tls-key": { type: "string" } } as const;
      const { values, flags, problems } = parseFlags(argv, { ...COLLECTOR_OPTIONS, "duration-s": { type: "string" }, "interval-ms": { type: "string" }, ...local }, map);
      if (values["help"]) return io.stdout(USAGE), 0;
      const { _durationS: durationS, _intervalMs, ...collectorFlags } = flags as Record<string, unknown>;
      const config = loadCollectorConfig({ file: values["config"] as string | undefined, env: process.env, flags: collectorFlags, problems });
      if (values["print-config"]) return printConfig(io, config);
      const str = (k: string) => values[k] as string | undefined;
      const localAgent: LocalAgent = { id: str("agent-id"), intervalMs: str("interval-ms"), cert: str("agent-tls-cert"), key: str("agent-tls-key") };
      if (config.grpc.tls.cert !== "") checkTlsFiles("grpc.tls", config.grpc.tls);
      const tlsArgs = agentTlsArgs(config, localAgent);
      const logger = createLogger("collector", config.logLevel);
      const collector = new Collector(config, logger);
      await collector.start();
      // why: the agent's unacked batches stay with the data they belong to (eastwest-data/spool by default).
      const spoolDir = join(dirname(resolve(config.store.path)), "spool");
      const agent = spawnAgent(collector.grpcPort, localAgent, tlsArgs, config.logLevel, config.otlp.endpoint, spoolDir);
      // why: after the agent started, so that it does not inherit the collector's policy (it applies its own).
      const scheduled = await scheduleThisProcess(config.scheduling, logger);
      const scheduling = scheduled.guard.state;
      if (scheduling.unavailable) logger.warn({ reason: scheduling.unavailable }, "scheduling idle not applied; the collector runs at normal priority");
      const api = `http://${config.http.host}:${collector.httpPort}`;
      io.stdout(`eastwest up: collector gRPC :${collector.grpcPort}, store ${config.store.path}\n`);
      io.stdout(`  agents:  curl ${api}/api/v1/agents\n  latest:  curl '${api}/api/v1/latest?measurement=netdev'\n  series:  curl '${api}/api/v1/series?measurement=cpu&from=-5m&tag.cpu=all'\n`);
      if (collector.localTokenFile) io.stdout(`  token:   ${collector.localTokenFile} (write; eastwest run, campaign and vms on this machine send it; curl -H "Authorization: Bearer $(cat ${collector.localTokenFile})")\n`);
      const stop = typeof durationS === "number" ? new Promise((r) => setTimeout(r, durationS * 1000)) : untilSignal();
      const agentExit = new Promise<number | null>((r) => agent.once("exit", (code) => r(code)));
      const first = await Promise.race([stop.then(() => "stop" as const), agentExit.then(() => "agent" as const)]);
      if (first === "agent") logger.error("agent exited early");
      agent.kill("SIGTERM");
      await agentExit;
      await scheduled.close();
      await collector.stop();
      io.stdout(`eastwest up: stored ${collector.stats.pointsStored} points in ${collector.stats.batchesStored} batches\n`);
      return first === "agent" ? 1 : 0;
    }),
};
