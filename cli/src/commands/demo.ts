// `eastwest demo`: the study's bridge path in miniature. As root: two network
// namespaces on a Linux bridge, a collector, an agent in each namespace and
// one on the host (separate processes, over gRPC), a 10 s iperf3 run between
// the namespaces, the per-64 KiB breakdown, then everything removed — also on
// Ctrl-C or when a step fails. Without root: the same over loopback.
import { ConfigError, createLogger, errorMessage, scheduleThisProcess, toJson } from "@eastwest/common";
import { defaultSpec, executeRun, formatRun, loadCollectorConfig } from "@eastwest/collector";
import { PAPER_CONSTANTS } from "@eastwest/collector/model";
import { startLab } from "../demo/lab.ts";
import { startVmLab } from "../lab/vm/lab.ts";
import { VM_LAB_OPTIONS, VM_LAB_USAGE, vmLabOptions } from "../lab/vm/options.ts";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors, type FlagMap } from "../flags.ts";


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
  --scheduling idle|normal  CPU policy of the demo's collector (idle: SCHED_IDLE,
                     as it shares the host with the traffic it measures)
  --vm               two QEMU guests instead of namespaces (as root; see
                     'eastwest lab --help'), with these flags of the VM lab:
${VM_LAB_USAGE}`;

async function body(io: CliIo, values: Record<string, unknown>, flags: Record<string, unknown>, problems: string[], onCleanup: (c: () => Promise<void>) => void): Promise<number> {
  const durationS = typeof flags["durationS"] === "number" ? flags["durationS"] : 10;
  const asRoot = process.getuid?.() === 0 && !values["loopback"];
  // why: idle unless asked otherwise, by flag or by the environment (flags would override the environment).
  const scheduling = flags["scheduling"] ?? (process.env["EASTWEST_COLLECTOR_SCHEDULING"] === undefined ? "idle" : undefined);
  const config = loadCollectorConfig({ env: process.env, flags: { ...(scheduling === undefined ? {} : { scheduling }), http: { port: (flags["httpPort"] as number | undefined) ?? 0 }, grpc: { port: 0 }, ...(flags["data"] ? { store: { path: flags["data"] } } : {}) }, problems });
  const logger = createLogger("demo", "warn");
  const say = (l: string) => io.stdout(`demo: ${l}\n`);
  const vm = values["vm"] ? vmLabOptions(values, { config, logger, say }, problems) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  if (!asRoot && !vm) io.stdout(`demo: ${process.getuid?.() === 0 ? "--loopback given" : "not root"}: running over loopback (no namespaces, no bridge)\n`);
  const lab = vm ? await startVmLab(vm, onCleanup) : await startLab({ config, logger, bridge: asRoot, stem: "ewd", base: "10.77", idPrefix: "demo", say }, onCleanup);
  // why: after the agents started, so that they do not inherit it (each applies its own policy).
  // why: the demo's collector runs idle on the host whose traffic it measures; starved, it would stop answering.
  const scheduled = await scheduleThisProcess(config.scheduling, logger);
  const applied = scheduled.guard.state;
  if (applied.unavailable && asRoot) io.stdout(`demo: scheduling idle not applied (${applied.unavailable}); the collector runs at normal priority\n`);
  try {
    return await runAndReport(io, values, config.store.path, lab, logger, durationS);
  } finally {
    await scheduled.close();
  }
}

async function runAndReport(io: CliIo, values: Record<string, unknown>, storePath: string, lab: Awaited<ReturnType<typeof startLab>>, logger: ReturnType<typeof createLogger>, durationS: number): Promise<number> {
  const spec = defaultSpec({ durationS, client: lab.client, server: lab.server, serverAddress: lab.serverAddress });
  const record = await executeRun(spec, {
    sessions: lab.collector.sessions,
    store: lab.collector.store,
    logger,
    constants: PAPER_CONSTANTS,
    observers: lab.agents,
    clocks: lab.collector.clocks,
    onProgress: (m) => io.stdout(`demo: ${m}\n`),
  });
  io.stdout(values["json"] ? toJson(record, 2) + "\n" : formatRun(record) + "\n");
  io.stdout(`demo: data kept in ${storePath} (run ${record.id})\n`);
  return 0;
}

export const demoCommand: CliCommand = {
  name: "demo",
  summary: "namespaces on a bridge, collector, three agents, a 10 s iperf3 run and its breakdown",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const map: FlagMap = { "duration-s": { path: ["durationS"], type: "number" }, data: { path: ["data"], type: "string" }, "http-port": { path: ["httpPort"], type: "number" }, scheduling: { path: ["scheduling"], type: "string" } };
      const { values, flags, problems } = parseFlags(argv, { "duration-s": { type: "string" }, data: { type: "string" }, "http-port": { type: "string" }, scheduling: { type: "string" }, loopback: { type: "boolean" }, json: { type: "boolean" }, vm: { type: "boolean" }, ...VM_LAB_OPTIONS }, map);
      if (values["help"]) return io.stdout(USAGE), 0;
      let labCleanup: (() => Promise<void>) | undefined;
      const cleanup = () => labCleanup?.() ?? Promise.resolve();
      const onSignal = () => {
        io.stderr("demo: interrupted, cleaning up\n");
        void cleanup().then(() => process.exit(130));
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        return await body(io, values, flags, problems, (c) => (labCleanup = c));
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        io.stderr(`demo: failed: ${errorMessage(err)}\n`);
        return 1;
      } finally {
        await cleanup();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
};
