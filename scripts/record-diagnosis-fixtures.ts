// `node scripts/record-diagnosis-fixtures.ts [--out DIR] [--duration-s N] [--only a,b]` (as root): records the
// diagnosis engine's fixtures from real runs on this host. Builds the namespace lab (two namespaces on a bridge,
// an agent in each and one on the host, an in-process collector; names ewg<hex>, addresses 10.81.N.0/24), then per
// scenario applies its perturbation, runs iperf3 client (ns0) -> server (ns1) through the collector's runner and
// writes DIR/<scenario>.json: { scenario, command, record (the run record as stored), samples (load.ts) }.
// Every perturbation is undone after its run, and the lab removed at the end, also on a failure.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "@eastwest/common";
import { defaultSpec, executeRun, loadCollectorConfig } from "../collector/src/index.ts";
import { PAPER_CONSTANTS } from "../collector/src/model/constants.ts";
import { loadRunSamples } from "../collector/src/diagnosis/load.ts";
import { stringifyExact } from "../collector/src/store/json.ts";
import { startLab, type Lab } from "../cli/src/demo/lab.ts";

interface Ends {
  sendNs: string;
  sendIf: string;
  recvNs: string;
  recvIf: string;
}

interface Scenario {
  name: string;
  what: string;
  /** Applies the perturbation; returns its undo. */
  apply: (e: Ends) => () => void;
}

const run = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const inNs = (ns: string, argv: string[]) => run("ip", ["netns", "exec", ns, ...argv]);
const ethtool = (ns: string, iface: string, ...kv: string[]) => inNs(ns, ["ethtool", "-K", iface, ...kv]);

/** A busy loop pinned on cpu (its own process, killed by pid). */
function hog(cpu: number): ChildProcess {
  return spawn("taskset", ["-c", String(cpu), "sh", "-c", "while :; do :; done"], { stdio: "ignore" });
}

const SCENARIOS: Scenario[] = [
  { name: "default", what: "no change: the veth defaults (checksum offload, TSO, GSO on; GRO off)", apply: () => () => undefined },
  {
    name: "checksum-off",
    what: "tx checksum offload off at the sender (ethtool -K IF tx off)",
    apply: (e) => (ethtool(e.sendNs, e.sendIf, "tx", "off"), () => void ethtool(e.sendNs, e.sendIf, "tx", "on", "tso", "on", "gso", "on")),
  },
  {
    name: "gro-gso-off",
    what: "GSO off at the sender, GRO off at the receiver",
    apply: (e) => (ethtool(e.sendNs, e.sendIf, "gso", "off"), ethtool(e.recvNs, e.recvIf, "gro", "off"), () => (ethtool(e.sendNs, e.sendIf, "gso", "on"), void ethtool(e.recvNs, e.recvIf, "gro", "on"))),
  },
  {
    name: "tx-nocache-copy",
    what: "tx-nocache-copy on at the sender",
    apply: (e) => (ethtool(e.sendNs, e.sendIf, "tx-nocache-copy", "on"), () => void ethtool(e.sendNs, e.sendIf, "tx-nocache-copy", "off")),
  },
  {
    name: "starved-receiver",
    what: "receiver agent (and so its iperf3 server) pinned on CPU 1 next to two busy loops pinned there (taskset)",
    apply: (e) => {
      const pids = run("ip", ["netns", "pids", e.recvNs]).split(/\s+/).filter((p) => /^\d+$/.test(p));
      for (const pid of pids) run("taskset", ["-a", "-p", "-c", "1", pid]);
      const hogs = [hog(1), hog(1)];
      return () => {
        for (const h of hogs) if (h.pid !== undefined) process.kill(h.pid, "SIGKILL");
        for (const pid of pids) run("taskset", ["-a", "-p", "-c", "0-1", pid]);
      };
    },
  },
  {
    name: "tbf-200mbit",
    what: "tbf rate 200mbit burst 32kbit latency 50ms as the sender interface's root qdisc",
    apply: (e) => (inNs(e.sendNs, ["tc", "qdisc", "add", "dev", e.sendIf, "root", "tbf", "rate", "200mbit", "burst", "32kbit", "latency", "50ms"]), () => void inNs(e.sendNs, ["tc", "qdisc", "del", "dev", e.sendIf, "root"])),
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function record(lab: Lab, s: Scenario, e: Ends, out: string, durationS: number): Promise<void> {
  const undo = s.apply(e);
  try {
    // why: netstate re-reads ethtool and tc every refreshMs (set to 2 s below); let it see the change first.
    await sleep(4000);
    const spec = defaultSpec({ durationS, client: lab.client, server: lab.server, serverAddress: lab.serverAddress });
    const rec = await executeRun(spec, { sessions: lab.collector.sessions, store: lab.collector.store, logger: createLogger("record", "warn"), constants: PAPER_CONSTANTS, observers: lab.agents, clocks: lab.collector.clocks, onProgress: (m) => console.error(m) });
    const samples = await loadRunSamples(lab.collector.store, rec);
    const command = `node scripts/record-diagnosis-fixtures.ts --out ${out} --only ${s.name} --duration-s ${durationS}`;
    // why: the record as the store keeps it (its JSON text), so that tests read what a stored record is.
    const stored = (await lab.collector.store.getRecord("run", rec.id))?.doc ?? rec;
    writeFileSync(join(out, `${s.name}.json`), stringifyExact({ scenario: s.name, what: s.what, command, record: stored, samples }, 1) + "\n");
    console.error(`${s.name}: ${(rec.results.throughput.iperf3_receiver_bits_per_s / 1e9).toFixed(2)} Gbit/s -> ${s.name}.json`);
  } finally {
    undo();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string", default: "test/fixtures/diagnosis" }, "duration-s": { type: "string", default: "10" }, only: { type: "string" } } });
  const only = values.only ? new Set(values.only.split(",")) : undefined;
  const durationS = Number(values["duration-s"]);
  mkdirSync(values.out, { recursive: true });
  process.env["EASTWEST_AGENT_SAMPLERS"] = JSON.stringify({ netstate: { options: { refreshMs: 2000 } } });
  const dir = mkdtempSync(join(tmpdir(), "ewg-record-"));
  const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir, "s.db") } } });
  const lab = await startLab({ config, logger: createLogger("record", "warn"), bridge: true, stem: "ewg", base: "10.81", lockDir: join(dir, "locks"), idPrefix: "diag", say: (l) => console.error(l) });
  const cleanup = () => lab.cleanup().then(() => rmSync(dir, { recursive: true, force: true }));
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const nsOf = (agentId: string) => run("ip", ["netns", "identify", String(agentPid(agentId))]).trim();
    const e: Ends = { sendNs: nsOf(lab.client.agentId), sendIf: lab.client.interface, recvNs: nsOf(lab.server.agentId), recvIf: lab.server.interface };
    for (const s of SCENARIOS) if (!only || only.has(s.name)) await record(lab, s, e, values.out, durationS);
  } finally {
    await cleanup();
  }
}

/** The pid of a lab agent, by its --id on the command line (read from /proc, nothing signalled). */
function agentPid(agentId: string): number {
  const out = run("pgrep", ["-f", `[-]-id ${agentId} `]).trim().split("\n")[0];
  if (!out) throw new Error(`no process for agent ${agentId}`);
  return Number(out);
}

await main();
