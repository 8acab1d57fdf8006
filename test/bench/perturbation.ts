// (c) Perturbation: iperf3 throughput between two namespaces on a bridge,
// with agents sampling at 10 Hz inside both namespaces vs no agents. Paired
// runs alternate (none, agents, none, agents, ...) so drift hits both sides;
// each run measures both directions with iperf3 -J.
import { startProcess, tempDir, waitFor, type Proc } from "../helpers/procs.ts";
import { ensureBinaries, isRoot, onCleanup } from "./host.ts";
import { createTopology, destroyTopology, inNamespace, nsCommand, type Namespace, type Topology } from "./netns.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { agentConfigFile, agentHighestSeq, startAgent, startCollector, waitForAgentData, type RunningCollector, type SamplerSetting } from "./stack.ts";
import { fmt, statusRow, verdict, type BenchOutcome, type Row } from "./table.ts";

export interface PerturbationOptions {
  pairs: number;
  iperfSeconds: number;
  log: (line: string) => void;
}

const BENCH = "(c) perturbation";
const MAX_DIFF_PCT = 1;
const IPERF_PORT = 5201;

// 10 Hz for every sampler that reads counters; tcpinfo watches the iperf3 flow; netstate
// (offload/qdisc state via ethtool and tc) keeps its 10 s default, as in a campaign.
const SAMPLERS_10HZ: Record<string, SamplerSetting> = {
  cpu: { intervalMs: 100 },
  netdev: { intervalMs: 100 },
  tcp: { intervalMs: 100 },
  softirqs: { intervalMs: 100 },
  softnet: { intervalMs: 100 },
  tcpinfo: { intervalMs: 100, options: { flows: [{ port: IPERF_PORT }] } },
};

type Mode = "none" | "agents";
type Direction = "b_to_a" | "a_to_b";
type Series = Record<Mode, Record<Direction, number[]>>;

interface Context {
  topo: Topology;
  col: RunningCollector;
  config: string;
  iperfSeconds: number;
  agentCpuPct: number[];
}

/** One iperf3 -J client run from namespace b to a's server; reverse: a sends to b. Resolves with bits/s received. */
async function iperf(topo: Topology, seconds: number, reverse: boolean): Promise<number> {
  const p = startProcess(...nsCommand(topo.b, ["iperf3", "-c", topo.a.ip, "-p", String(IPERF_PORT), "-t", String(seconds), "-J", ...(reverse ? ["-R"] : [])]));
  const code = await p.exited;
  let doc: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  try {
    doc = JSON.parse(p.stdout()) as typeof doc;
  } catch {
    throw new Error(`iperf3 exited ${code} without JSON: ${p.stderr().slice(-500)}`);
  }
  const bps = doc.end?.sum_received?.bits_per_second;
  if (doc.error || code !== 0 || typeof bps !== "number") throw new Error(`iperf3 failed (exit ${code}): ${doc.error ?? "no end.sum_received"}`);
  return bps;
}

async function startAgents(c: Context): Promise<Array<{ proc: Proc; meter: ProcessMeter }>> {
  const out: Array<{ proc: Proc; meter: ProcessMeter }> = [];
  for (const ns of [c.topo.a, c.topo.b]) {
    const id = `bench-${ns.name}`;
    const before = await agentHighestSeq(c.col.http, id);
    const proc = startAgent({ id, collector: `${c.topo.hostIp}:${c.col.grpcPort}`, config: c.config, intervalMs: 100, prefix: inNamespace(ns) });
    out.push({ proc, meter: new ProcessMeter(proc.pid) });
    await waitForAgentData(c.col.http, id, proc, before);
  }
  for (const a of out) a.meter.start();
  return out;
}

async function stopAgents(c: Context, agents: Array<{ proc: Proc; meter: ProcessMeter }>): Promise<void> {
  for (const a of agents) {
    if (a.proc.child.exitCode !== null) throw new Error(`agent pid ${a.proc.pid} exited during the run: ${a.proc.stderr().slice(-500)}`);
    const u = a.meter.finish();
    c.agentCpuPct.push((u.cpuS / u.windowS) * 100);
    await a.proc.kill("SIGTERM");
  }
}

async function runOnce(c: Context, mode: Mode, series: Series): Promise<void> {
  const agents = mode === "agents" ? await startAgents(c) : [];
  try {
    series[mode].b_to_a.push(await iperf(c.topo, c.iperfSeconds, false));
    series[mode].a_to_b.push(await iperf(c.topo, c.iperfSeconds, true));
  } finally {
    if (agents.length > 0) await stopAgents(c, agents);
  }
}

async function startIperfServer(ns: Namespace): Promise<Proc> {
  const server = startProcess(...nsCommand(ns, ["iperf3", "-s", "-B", ns.ip, "-p", String(IPERF_PORT), "--forceflush"]));
  await waitFor(() => {
    if (server.child.exitCode !== null) throw new Error(`process exited ${server.child.exitCode}: iperf3 -s: ${server.stderr()}`);
    return server.stdout().includes("Server listening") ? true : undefined;
  }, 10_000, "iperf3 server in the namespace");
  return server;
}

export async function perturbationBench(o: PerturbationOptions): Promise<BenchOutcome> {
  if (!isRoot()) return { rows: [statusRow(BENCH, "skipped: needs root")], notes: [] };
  ensureBinaries([{ binary: "iperf3", pkg: "iperf3" }, { binary: "ip", pkg: "iproute2" }], o.log);
  onCleanup(() => destroyTopology());
  const topo = createTopology();
  const dir = tempDir("bench-perturbation");
  onCleanup(() => dir.remove());
  const col = await startCollector(dir.path, topo.hostIp);
  await startIperfServer(topo.a);
  const c: Context = { topo, col, config: agentConfigFile(dir.path, "agent-10hz", SAMPLERS_10HZ), iperfSeconds: o.iperfSeconds, agentCpuPct: [] };
  const series: Series = { none: { b_to_a: [], a_to_b: [] }, agents: { b_to_a: [], a_to_b: [] } };
  for (let pair = 1; pair <= o.pairs; pair++) {
    for (const mode of ["none", "agents"] as const) {
      o.log(`(c) perturbation: pair ${pair}/${o.pairs}, ${mode}: 2 x ${o.iperfSeconds} s iperf3`);
      await runOnce(c, mode, series);
    }
  }
  return outcome(series, c, o);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => (xs.length < 2 ? Number.NaN : xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const gbit = (bps: number) => bps / 1e9;

/** Difference of the means in % of the reference, and its standard error in the same unit (NaN with one pair). */
function difference(none: number[], agents: number[]): { pct: number; sePct: number } {
  const ref = mean(none);
  const se = Math.sqrt(variance(none) / none.length + variance(agents) / agents.length);
  return { pct: ((mean(agents) - ref) / ref) * 100, sePct: (se / ref) * 100 };
}

function outcome(s: Series, c: Context, o: PerturbationOptions): BenchOutcome {
  const row = (dir: Direction, label: string): Row => {
    const none = mean(s.none[dir]);
    const agents = mean(s.agents[dir]);
    const d = difference(s.none[dir], s.agents[dir]);
    const noise = Number.isFinite(d.sePct) ? ` ± ${fmt(d.sePct, 1)}` : "";
    // why: a miss within two standard errors is not evidence of perturbation; say so instead of a bare MISS.
    const met = Math.abs(d.pct) < MAX_DIFF_PCT;
    const withinNoise = !met && Math.abs(d.pct) < 2 * d.sePct;
    return {
      bench: BENCH,
      metric: `Gbit/s ${label}`,
      value: fmt(gbit(agents), 2),
      reference: fmt(gbit(none), 2),
      ratio: `${fmt(agents / none, 3)} (${d.pct >= 0 ? "+" : ""}${fmt(d.pct, 1)}${noise} %)`,
      target: `|diff| < ${MAX_DIFF_PCT} %`,
      result: withinNoise ? "MISS (within noise)" : verdict(met),
    };
  };
  const runs = (mode: Mode, dir: Direction) => s[mode][dir].map((b) => fmt(gbit(b), 2)).join(", ");
  const { a, b } = c.topo;
  return {
    rows: [row("b_to_a", `${b.name.slice(-1)}->${a.name.slice(-1)}`), row("a_to_b", `${a.name.slice(-1)}->${b.name.slice(-1)}`)],
    notes: [
      `(c) eastwest = with an agent in each namespace (cpu, netdev, tcp, softirqs, softnet at 10 Hz; tcpinfo on port ${IPERF_PORT}, ss at most every 500 ms by its minIntervalMs; netstate 10 s) streaming to a collector on the bridge (${c.topo.hostIp}); ` +
        `reference = no agents. ${o.pairs} pairs (none, agents) of ${o.iperfSeconds} s iperf3 -J runs per direction, single TCP stream, namespaces ${a.name} ${a.ip} and ${b.name} ${b.ip} on bridge ${c.topo.bridge}.`,
      `(c) runs, Gbit/s: b->a none [${runs("none", "b_to_a")}], agents [${runs("agents", "b_to_a")}]; a->b none [${runs("none", "a_to_b")}], agents [${runs("agents", "a_to_b")}].`,
      `(c) ratio column: agents/none and the difference of the means ± its standard error (run-to-run spread); "within noise" = |diff| < 2 standard errors: more or longer pairs (--pairs, --iperf-seconds) are needed to resolve 1 %.`,
      `(c) each agent used ${fmt(mean(c.agentCpuPct), 2)} % of a core on average during its runs (incl. ss children).`,
    ],
  };
}
