// `eastwest demo`: the study's bridge path in miniature. As root: two network
// namespaces on a Linux bridge, a collector, an agent in each namespace and
// one on the host (separate processes, over gRPC), a 10 s iperf3 run between
// the namespaces, the per-64 KiB breakdown, then everything removed — also on
// Ctrl-C or when a step fails. Without root: the same over loopback.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConfigError, createLogger, errorMessage, toJson } from "@eastwest/common";
import { Collector } from "../../collector.ts";
import { loadCollectorConfig } from "../../config.ts";
import { BridgeTopology, leftovers, removeLeftovers } from "../../demo/topology.ts";
import { PAPER_CONSTANTS } from "../../model/cost-model.ts";
import { defaultSpec, executeRun } from "../../run/runner.ts";
import { formatRun } from "../../run/format.ts";
import type { RunSpec } from "../../run/types.ts";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors, type FlagMap } from "../flags.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const PREFIX = "ewd";
const NET = "10.77.0";

const USAGE = `usage: eastwest demo [flags]

As root: builds two network namespaces joined by a Linux bridge (veth pairs),
starts a collector, an agent in each namespace and one on the host, runs iperf3
between the namespaces, prints the per-64 KiB cost breakdown, keeps the data in
the embedded store and removes everything it created. Without root (or with
--loopback) it runs over loopback instead, and says so.

flags:
  --duration-s N     iperf3 duration (10)
  --data FILE        embedded store (eastwest-data/eastwest.db)
  --http-port PORT   HTTP API port while the demo runs (default: any free port)
  --loopback         use loopback even as root
  --json             print the run record as JSON instead of the report
`;

interface Cleanup {
  steps: Array<() => Promise<unknown>>;
  run(): Promise<void>;
}

function cleanupStack(): Cleanup {
  const steps: Array<() => Promise<unknown>> = [];
  let done: Promise<void> | undefined;
  return {
    steps,
    run: () =>
      (done ??= (async () => {
        for (const step of steps.reverse()) await step().catch(() => undefined);
      })()),
  };
}

function spawnAgent(id: string, collector: string, prefix: string[], logLevel: string): ChildProcess {
  // why: a namespace stands in for a guest: its agent takes the guest role (no host-only samplers).
  const role = prefix.length > 0 ? "guest" : "host";
  const argv = [...prefix, process.execPath, MAIN, "agent", "--id", id, "--role", role, "--collector", collector, "--log-level", logLevel];
  return spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill("SIGKILL"), 5000);
    c.once("exit", () => (clearTimeout(t), resolve()));
    c.kill("SIGTERM");
  });
}

async function body(io: CliIo, values: Record<string, unknown>, flags: Record<string, unknown>, problems: string[], cleanup: Cleanup): Promise<number> {
  const durationS = typeof flags["durationS"] === "number" ? flags["durationS"] : 10;
  const asRoot = process.getuid?.() === 0 && !values["loopback"];
  const config = loadCollectorConfig({ env: process.env, flags: { http: { port: (flags["httpPort"] as number | undefined) ?? 0 }, grpc: { port: 0 }, ...(flags["data"] ? { store: { path: flags["data"] } } : {}) }, problems });
  const logger = createLogger("demo", "warn");
  let grpcHost = "127.0.0.1";
  let spec: RunSpec;
  const agents: Array<{ id: string; prefix: string[] }> = [];
  if (asRoot) {
    const stale = await leftovers(PREFIX);
    if (stale.length > 0) io.stderr(`demo: removing leftovers of an earlier demo: ${stale.join(", ")}\n`);
    await removeLeftovers(PREFIX);
    const topo = new BridgeTopology({ prefix: PREFIX, net: NET, count: 2 });
    cleanup.steps.push(() => topo.teardown());
    const t = await topo.build();
    const [a, b] = t.namespaces as [Topology0, Topology0];
    io.stdout(`demo: bridge ${t.bridge} ${t.hostIp}/24; ${a.name} ${a.ip} (${a.ifname}), ${b.name} ${b.ip} (${b.ifname})\n`);
    grpcHost = t.hostIp;
    agents.push({ id: "demo-ns0", prefix: ["ip", "netns", "exec", a.name] }, { id: "demo-ns1", prefix: ["ip", "netns", "exec", b.name] }, { id: "demo-host", prefix: [] });
    spec = defaultSpec({ durationS, client: { agentId: "demo-ns0", interface: a.ifname }, server: { agentId: "demo-ns1", interface: b.ifname }, serverAddress: b.ip });
  } else {
    io.stdout(`demo: ${process.getuid?.() === 0 ? "--loopback given" : "not root"}: running over loopback (no namespaces, no bridge)\n`);
    agents.push({ id: "demo-client", prefix: [] }, { id: "demo-server", prefix: [] });
    spec = defaultSpec({ durationS, client: { agentId: "demo-client", interface: "lo" }, server: { agentId: "demo-server", interface: "lo" }, serverAddress: "127.0.0.1" });
  }
  const collector = new Collector({ ...config, grpc: { host: grpcHost, port: 0 } }, logger);
  cleanup.steps.push(() => collector.stop());
  await collector.start();
  for (const a of agents) {
    const child = spawnAgent(a.id, `${grpcHost}:${collector.grpcPort}`, a.prefix, "warn");
    cleanup.steps.push(() => stopChild(child));
  }
  const record = await executeRun(spec, {
    sessions: collector.sessions,
    store: collector.store,
    logger,
    constants: PAPER_CONSTANTS,
    observers: agents.map((a) => a.id),
    onProgress: (m) => io.stdout(`demo: ${m}\n`),
  });
  io.stdout(values["json"] ? toJson(record, 2) + "\n" : formatRun(record) + "\n");
  io.stdout(`demo: data kept in ${config.store.path} (run ${record.id})\n`);
  return 0;
}

type Topology0 = { name: string; ip: string; ifname: string };

export const demoCommand: CliCommand = {
  name: "demo",
  summary: "namespaces on a bridge, collector, three agents, a 10 s iperf3 run and its breakdown",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const map: FlagMap = { "duration-s": { path: ["durationS"], type: "number" }, data: { path: ["data"], type: "string" }, "http-port": { path: ["httpPort"], type: "number" } };
      const { values, flags, problems } = parseFlags(argv, { "duration-s": { type: "string" }, data: { type: "string" }, "http-port": { type: "string" }, loopback: { type: "boolean" }, json: { type: "boolean" } }, map);
      if (values["help"]) return io.stdout(USAGE), 0;
      const cleanup = cleanupStack();
      const onSignal = () => {
        io.stderr("demo: interrupted, cleaning up\n");
        void cleanup.run().then(() => process.exit(130));
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        return await body(io, values, flags, problems, cleanup);
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        io.stderr(`demo: failed: ${errorMessage(err)}\n`);
        return 1;
      } finally {
        await cleanup.run();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
};
