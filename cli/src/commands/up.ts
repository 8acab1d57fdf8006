// `eastwest up`: the embedded-defaults main job for one machine: a collector
// (embedded store, HTTP API) plus a local agent as a separate process.
import { dirname, join, resolve } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { applyScheduling, createLogger, realSchedDeps } from "@eastwest/common";
import { Collector, loadCollectorConfig } from "@eastwest/collector";
import type { CliCommand } from "../types.ts";
import { parseFlags, printConfig, withConfigErrors, type FlagMap } from "../flags.ts";
import { untilSignal } from "../signals.ts";
import { COLLECTOR_FLAGS, COLLECTOR_OPTIONS } from "./collector.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

const USAGE = `usage: eastwest up [flags]

Starts a collector on the embedded store and a local agent (a separate process)
that samples this host, and serves the HTTP API. Stops on Ctrl-C, or after
--duration-s seconds. Accepts every collector flag, plus:

  --duration-s N       stop after N seconds (default: run until Ctrl-C)
  --interval-ms N      the agent's sampling interval (1000)
`;

/** The local agent exports its own telemetry where the collector does (otlpEndpoint). */
function spawnAgent(grpcPort: number, intervalMs: string | undefined, logLevel: string, otlpEndpoint: string | undefined, spoolDir: string): ChildProcess {
  const args = [MAIN, "agent", "--collector", `127.0.0.1:${grpcPort}`, "--log-level", logLevel, "--spool-dir", spoolDir];
  if (intervalMs) args.push("--interval-ms", intervalMs);
  if (otlpEndpoint) args.push("--otlp-endpoint", otlpEndpoint);
  return spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
}

export const upCommand: CliCommand = {
  name: "up",
  summary: "collector + local agent on the embedded store (the one-machine main job)",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const map: FlagMap = { ...COLLECTOR_FLAGS, "duration-s": { path: ["_durationS"], type: "number" }, "interval-ms": { path: ["_intervalMs"], type: "number" } };
      const { values, flags, problems } = parseFlags(argv, { ...COLLECTOR_OPTIONS, "duration-s": { type: "string" }, "interval-ms": { type: "string" } }, map);
      if (values["help"]) return io.stdout(USAGE), 0;
      const { _durationS: durationS, _intervalMs, ...collectorFlags } = flags as Record<string, unknown>;
      const config = loadCollectorConfig({ file: values["config"] as string | undefined, env: process.env, flags: collectorFlags, problems });
      if (values["print-config"]) return printConfig(io, config);
      const logger = createLogger("collector", config.logLevel);
      const collector = new Collector(config, logger);
      await collector.start();
      // why: the agent's unacked batches stay with the data they belong to (eastwest-data/spool by default).
      const spoolDir = join(dirname(resolve(config.store.path)), "spool");
      const agent = spawnAgent(collector.grpcPort, values["interval-ms"] as string | undefined, config.logLevel, config.otlp.endpoint, spoolDir);
      // why: after the agent started, so that it does not inherit the collector's policy (it applies its own).
      const scheduling = applyScheduling(config.scheduling, realSchedDeps());
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
      await collector.stop();
      io.stdout(`eastwest up: stored ${collector.stats.pointsStored} points in ${collector.stats.batchesStored} batches\n`);
      return first === "agent" ? 1 : 0;
    }),
};
