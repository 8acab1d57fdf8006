// (c) Perturbation: iperf3 throughput between two namespaces on a bridge,
// with agents sampling at 10 Hz inside both namespaces vs no agents.
//
// Two measurements, both paired:
// - runs: separate iperf3 -J runs with and without agents, in ABBA order
//   (none, agents, agents, none, ...) so linear drift cancels; the difference
//   is the mean of the per-pair differences. Run-to-run spread on a 2-core
//   host is large (the scheduler places sender, receiver and softirq work
//   differently each run), so this resolves a few per cent at best.
// Delivery: "held" (default) measures agents as `eastwest run` uses them: they hold their samples during the
// traffic (capture only) and decode and send them after it; "live" measures continuous 10 Hz streaming.
//
// - interleaved: one long iperf3 run per direction while the (warmed-up)
//   agents are alternately stopped (SIGSTOP: no agent work at all) and running,
//   in ABBA phases of PHASE_MS; each phase's throughput comes from the
//   receiving veth's byte counter, read by the bench at the phase's edges.
//   Pairs of phases share one TCP connection and CPU placement, so this
//   resolves differences well under 1 %.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { startProcess, tempDir, waitFor, type Proc } from "../helpers/procs.ts";
import { ensureBinaries, isRoot, onCleanup } from "./host.ts";
import { createTopology, destroyTopology, inNamespace, nsCommand, type Namespace, type Topology } from "./netns.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { agentConfigFile, agentHighestSeq, holdAgent, startAgent, startCollector, waitForAgentData, type RunningCollector, type SamplerSetting } from "./stack.ts";
import { differences, judge, mean, meanDifference, perStack, type Estimate, type Pair } from "./paired.ts";
import { SCHED_IDLE, threadPolicies } from "../../common/src/sched.ts";
import { fmt, statusRow, type BenchOutcome, type Row } from "./table.ts";

export interface PerturbationOptions {
  pairs: number;
  iperfSeconds: number;
  /** Agents run this long before any measurement (JIT compiling and first-tick allocations). */
  warmupS: number;
  /** Length of the interleaved run per direction; 0 skips it. */
  interleavedSeconds: number;
  /**
   * Agents per namespace, one interleaved run per direction for each entry. Above 1 the difference is also given
   * per stack (divided by the count): the effect grows with the load while the noise does not.
   */
  stacks: number[];
  /** How the agents deliver their samples during the traffic, each measured in turn. */
  delivery: Delivery[];
  log: (line: string) => void;
}

export type Delivery = "held" | "live";

const BENCH = "(c) perturbation";
const MAX_DIFF_PCT = 1;
const IPERF_PORT = 5201;
/** Interleaved phases: each is PHASE_MS long; its first SETTLE_MS are not counted (the state just changed). */
const PHASE_MS = 2000;
const SETTLE_MS = 250;
/** iperf3 ramp-up (connection, slow start) before the first phase, and slack after the last. */
const RAMP_MS = 1500;

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
const DIRECTIONS: readonly Direction[] = ["b_to_a", "a_to_b"];

interface Agent {
  id: string;
  proc: Proc;
  meter: ProcessMeter;
}

/** Throughputs of one measurement per direction, as pairs (none, agents) in bits/s. */
type Pairs = Record<Direction, Pair[]>;

interface Context {
  topo: Topology;
  col: RunningCollector;
  config: string;
  o: PerturbationOptions;
  /** Each agent's CPU in % of a core while it was sampling (runs: whole runs; interleaved: running phases). */
  agentCpuPct: number[];
  collectorCpuPct: number[];
  /** Each eastwest process's scheduling policy as read from /proc, for the notes. */
  policies: Map<string, string>;
}

/** "SCHED_IDLE" when every thread of the process is, else the policies found. */
function policyOf(pid: number): string {
  const p = [...new Set(threadPolicies(pid))];
  return p.length === 1 && p[0] === SCHED_IDLE ? "SCHED_IDLE" : `policies ${p.join(", ")} (SCHED_IDLE is ${SCHED_IDLE})`;
}

function iperfArgs(c: Context, seconds: number, reverse: boolean): [string, string[]] {
  const { topo } = c;
  return nsCommand(topo.b, ["iperf3", "-c", topo.a.ip, "-p", String(IPERF_PORT), "-t", String(seconds), "-J", ...(reverse ? ["-R"] : [])]);
}

/** iperf3 -J's received bits/s; throws with iperf3's own error otherwise. */
async function iperfResult(p: Proc): Promise<number> {
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

/** One iperf3 -J client run from namespace b to a's server; reverse: a sends to b. Resolves with bits/s received. */
function iperf(c: Context, seconds: number, reverse: boolean): Promise<number> {
  return iperfResult(startProcess(...iperfArgs(c, seconds, reverse)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startAgents(c: Context, perNamespace = 1): Promise<Agent[]> {
  const out: Agent[] = [];
  for (const ns of [c.topo.a, c.topo.b]) for (let k = 0; k < perNamespace; k++) {
    const id = k === 0 ? `bench-${ns.name}` : `bench-${ns.name}-${k}`;
    const before = await agentHighestSeq(c.col.http, id);
    // why: a namespace stands in for a VM, as in `eastwest demo`: its agent has the guest role (no host-only samplers).
    const proc = startAgent({ id, collector: `${c.topo.hostIp}:${c.col.grpcPort}`, config: c.config, intervalMs: 100, prefix: inNamespace(ns), role: "guest" });
    out.push({ id, proc, meter: new ProcessMeter(proc.pid) });
    await waitForAgentData(c.col.http, id, proc, before);
    c.policies.set(`agent ${ns.name}`, policyOf(proc.pid));
    c.o.log(`(c) perturbation: agent ${id} is sampling`);
  }
  // why: an agent's first seconds (JIT compiling, first allocations) cost more than its steady state.
  await sleep(c.o.warmupS * 1000);
  checkAlive(out);
  return out;
}

function checkAlive(agents: readonly Agent[]): void {
  for (const a of agents) {
    if (a.proc.child.exitCode !== null) throw new Error(`agent pid ${a.proc.pid} exited during the benchmark: ${a.proc.stderr().slice(-500)}`);
  }
}

/** Holds every agent's samples, as `eastwest run` does around its traffic. */
async function holdAgents(c: Context, agents: readonly Agent[], forMs: number): Promise<void> {
  for (const a of agents) {
    const st = await holdAgent(c.col.http, a.id, forMs);
    if (!st.holding) throw new Error(`agent ${a.id} did not start holding`);
  }
}

/**
 * Ends the hold and waits until every agent has decoded what it held and the collector has had time to store it;
 * returns the CPU the agents took for that (s, summed), and the bytes they held.
 */
async function releaseAgents(c: Context, agents: readonly Agent[]): Promise<{ cpuS: number; heldBytes: number }> {
  const meters = agents.map((a) => new ProcessMeter(a.proc.pid));
  for (const m of meters) m.start();
  let heldBytes = 0;
  for (const a of agents) heldBytes += (await holdAgent(c.col.http, a.id, 0)).held_bytes;
  await waitFor(async () => {
    for (const a of agents) if ((await holdAgent(c.col.http, a.id, 0)).held_ticks > 0) return undefined;
    return true;
  }, 120_000, "agents decoding what they held");
  const cpuS = meters.reduce((sum, m) => sum + m.finish().cpuS, 0);
  // why: the decoded points go out in batches (at most 1 s apart): let the collector store them before measuring on.
  await sleep(3000);
  return { cpuS, heldBytes };
}

async function stopAgents(agents: readonly Agent[]): Promise<void> {
  checkAlive(agents);
  for (const a of agents) await a.proc.kill("SIGTERM");
}

/** Runs fn while metering the agents' and the collector's CPU; records % of a core per agent. */
async function metered<T>(c: Context, agents: readonly Agent[], fn: () => Promise<T>): Promise<T> {
  const collector = new ProcessMeter(c.col.proc.pid);
  collector.start();
  for (const a of agents) a.meter.start();
  const out = await fn();
  checkAlive(agents);
  for (const a of agents) {
    const u = a.meter.finish();
    c.agentCpuPct.push((u.cpuS / u.windowS) * 100);
  }
  const u = collector.finish();
  if (agents.length > 0) c.collectorCpuPct.push((u.cpuS / u.windowS) * 100);
  return out;
}

/** ABBA: pair 1 runs none first, pair 2 agents first, and so on. */
const order = (pair: number): readonly Mode[] => (pair % 2 === 1 ? ["none", "agents"] : ["agents", "none"]);

/** Separate runs; agents hold their samples during them when the first delivery asked for is "held". */
async function pairedRuns(c: Context): Promise<Pairs> {
  const held = c.o.delivery[0] === "held";
  const out: Pairs = { b_to_a: [], a_to_b: [] };
  for (let pair = 1; pair <= c.o.pairs; pair++) {
    const got: Record<Mode, Record<Direction, number>> = { none: { b_to_a: 0, a_to_b: 0 }, agents: { b_to_a: 0, a_to_b: 0 } };
    for (const mode of order(pair)) {
      c.o.log(`(c) perturbation: pair ${pair}/${c.o.pairs}, ${mode}: 2 x ${c.o.iperfSeconds} s iperf3`);
      const agents = mode === "agents" ? await startAgents(c) : [];
      try {
        if (held && agents.length > 0) await holdAgents(c, agents, (2 * c.o.iperfSeconds + 60) * 1000);
        await metered(c, agents, async () => {
          for (const dir of DIRECTIONS) got[mode][dir] = await iperf(c, c.o.iperfSeconds, dir === "a_to_b");
        });
        if (held && agents.length > 0) await releaseAgents(c, agents);
      } finally {
        if (agents.length > 0) await stopAgents(agents);
      }
    }
    for (const dir of DIRECTIONS) out[dir].push({ none: got.none[dir], agents: got.agents[dir] });
  }
  return out;
}

/** Bytes the host end of a namespace's veth has sent into it: what that namespace received over the bridge. */
function receivedBytes(ns: Namespace): number {
  return Number(readFileSync(`/sys/class/net/${ns.hostVeth}/statistics/tx_bytes`, "utf8"));
}

function signalAgents(agents: readonly Agent[], mode: Mode): void {
  for (const a of agents) process.kill(a.proc.pid, mode === "agents" ? "SIGCONT" : "SIGSTOP");
}

interface Interleaved {
  /** Agents per namespace. */
  stacks: number;
  delivery: Delivery;
  /** Held: agent CPU (s, all agents) decoding after each direction's traffic, per second of traffic, and bytes held per agent. */
  decode?: { cpuSPerS: number; heldBytesPerAgent: number };
  pairs: Pairs;
  iperfBps: Record<Direction, number>;
  agentCpuPct: number[];
  collectorCpuPct: number[];
}

/**
 * One iperf3 run per direction with `stacks` agents per namespace alternately stopped and running in ABBA phases;
 * each quartet gives one pair (mean of its two none phases, mean of its two agents phases).
 */
async function interleavedRuns(c: Context, stacks: number, delivery: Delivery): Promise<Interleaved> {
  const pairs: Pairs = { b_to_a: [], a_to_b: [] };
  const iperfBps: Record<Direction, number> = { b_to_a: 0, a_to_b: 0 };
  const agentCpuPct: number[] = [];
  const collectorCpuPct: number[] = [];
  const decodeCpuS: number[] = [];
  const heldBytes: number[] = [];
  const quartets = Math.floor((c.o.interleavedSeconds * 1000 - 2 * RAMP_MS) / (4 * PHASE_MS));
  if (quartets < 1) throw new Error(`--interleaved-seconds ${c.o.interleavedSeconds} leaves no room for 4 phases of ${PHASE_MS} ms`);
  c.o.log(`(c) perturbation: interleaved, ${stacks} agent(s) per namespace warming up for ${c.o.warmupS} s`);
  const agents = await startAgents(c, stacks);
  try {
    for (const dir of DIRECTIONS) {
      c.o.log(`(c) perturbation: interleaved ${dir}, ${stacks} agent(s) per namespace, ${delivery}: ${c.o.interleavedSeconds} s iperf3, ${quartets * 4} phases of ${PHASE_MS} ms`);
      if (delivery === "held") await holdAgents(c, agents, (c.o.interleavedSeconds + 60) * 1000);
      const receiver = dir === "b_to_a" ? c.topo.a : c.topo.b;
      const client = startProcess(...iperfArgs(c, c.o.interleavedSeconds, dir === "a_to_b"));
      let runningS = 0;
      const collector = new ProcessMeter(c.col.proc.pid);
      collector.start();
      for (const a of agents) a.meter.start();
      try {
        await sleep(RAMP_MS);
        for (let q = 0; q < quartets; q++) {
          const bps: Record<Mode, number[]> = { none: [], agents: [] };
          // why: ABBA within a quartet, and the quartets alternate which mode leads, so drift cancels.
          const modes: Mode[] = q % 2 === 0 ? ["none", "agents", "agents", "none"] : ["agents", "none", "none", "agents"];
          for (const mode of modes) {
            if (client.child.exitCode !== null) throw new Error(`iperf3 ended before the phases did: ${client.stderr().slice(-300)}`);
            signalAgents(agents, mode);
            const phaseStart = performance.now();
            await sleep(SETTLE_MS);
            const [t0, b0] = [performance.now(), receivedBytes(receiver)];
            await sleep(PHASE_MS - SETTLE_MS);
            const [t1, b1] = [performance.now(), receivedBytes(receiver)];
            bps[mode].push(((b1 - b0) * 8) / ((t1 - t0) / 1000));
            if (mode === "agents") runningS += (performance.now() - phaseStart) / 1000;
          }
          pairs[dir].push({ none: mean(bps.none), agents: mean(bps.agents) });
        }
      } finally {
        signalAgents(agents, "agents");
      }
      iperfBps[dir] = await iperfResult(client);
      checkAlive(agents);
      // why: stopped agents use no CPU (nor does the collector get their points), so the CPU over the run is
      // all spent in the running phases.
      for (const a of agents) agentCpuPct.push((a.meter.finish().cpuS / runningS) * 100);
      collectorCpuPct.push((collector.finish().cpuS / runningS) * 100);
      if (delivery === "held") {
        const released = await releaseAgents(c, agents);
        decodeCpuS.push(released.cpuS / runningS);
        heldBytes.push(released.heldBytes / agents.length);
      }
    }
  } finally {
    await stopAgents(agents).catch(() => undefined);
  }
  const decode = delivery === "held" ? { cpuSPerS: mean(decodeCpuS), heldBytesPerAgent: mean(heldBytes) } : undefined;
  return { stacks, delivery, ...(decode ? { decode } : {}), pairs, iperfBps, agentCpuPct, collectorCpuPct };
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
  // why: the collector shares this host with the traffic, as in `eastwest demo`, which runs it under SCHED_IDLE too.
  const col = await startCollector(dir.path, topo.hostIp, "idle");
  await startIperfServer(topo.a);
  const c: Context = { topo, col, config: agentConfigFile(dir.path, "agent-10hz", SAMPLERS_10HZ), o, agentCpuPct: [], collectorCpuPct: [], policies: new Map([["collector", policyOf(col.proc.pid)]]) };
  const runs = o.pairs > 0 ? await pairedRuns(c) : undefined;
  const runsCpu = { agents: [...c.agentCpuPct], collector: [...c.collectorCpuPct] };
  const interleaved: Interleaved[] = [];
  if (o.interleavedSeconds > 0) for (const delivery of o.delivery) for (const stacks of o.stacks) interleaved.push(await interleavedRuns(c, stacks, delivery));
  return outcome(c, runs, runsCpu, interleaved);
}

const gbit = (bps: number) => bps / 1e9;
const signed = (x: number, digits: number) => `${x >= 0 ? "+" : ""}${fmt(x, digits)}`;
const withSe = (e: Estimate) => `${signed(e.pct, 2)}${Number.isFinite(e.sePct) ? ` ± ${fmt(e.sePct, 2)}` : ""} %`;

/** A row; with `stacks` > 1 agents per namespace its verdict is on the difference per stack. */
function row(method: string, dir: Direction, pairs: readonly Pair[], c: Context, stacks = 1): Row {
  const { a, b } = c.topo;
  const label = dir === "b_to_a" ? `${b.name.slice(-1)}->${a.name.slice(-1)}` : `${a.name.slice(-1)}->${b.name.slice(-1)}`;
  const e = meanDifference(pairs);
  const judged = perStack(e, stacks);
  return {
    bench: BENCH,
    metric: `Gbit/s ${label}, ${method}${stacks > 1 ? `, ${stacks} agents per namespace` : ""} (${pairs.length} pairs)`,
    value: fmt(gbit(mean(pairs.map((p) => p.agents))), 2),
    reference: fmt(gbit(mean(pairs.map((p) => p.none))), 2),
    ratio: stacks > 1 ? `${withSe(e)}; per stack ${withSe(judged)}` : withSe(e),
    target: `|diff${stacks > 1 ? " per stack" : ""}| < ${MAX_DIFF_PCT} %`,
    result: judge(judged, MAX_DIFF_PCT),
  };
}

/**
 * The stack's CPU as a share of the machine: what the difference would be if every cycle it takes were one iperf3
 * lost. An upper estimate: iperf3 leaves some idle time on this host, which the agents, at SCHED_IDLE, can use.
 */
function cpuShare(agentPct: readonly number[], collectorPct: readonly number[], agents: number): string {
  const cores = availableParallelism();
  const total = agents * mean(agentPct) + mean(collectorPct);
  return `together ${fmt(total, 2)} % of one core, ${fmt(total / cores, 2)} % of this machine's ${cores} cores (the difference if every cycle they take were one iperf3 lost)`;
}

/** The per-pair differences, for the notes. */
function spread(label: string, pairs: readonly Pair[]): string {
  return `${label} [${differences(pairs).map((x) => signed(x, 1)).join(", ")}]`;
}

function outcome(
  c: Context,
  runs: Pairs | undefined,
  runsCpu: { agents: number[]; collector: number[] },
  interleaved: readonly Interleaved[],
): BenchOutcome {
  const { a, b } = c.topo;
  const rows: Row[] = [];
  const notes: string[] = [
    `(c) eastwest = an agent in each namespace, guest role as in \`eastwest demo\` (cpu, netdev, tcp, softirqs, softnet at 10 Hz; tcpinfo on port ${IPERF_PORT}; netstate 10 s) with a collector on the bridge (${c.topo.hostIp}); ` +
      `held = the agents hold their samples during the traffic (POST /api/v1/agents/<id>/hold, as \`eastwest run\` does): cpu, netdev, tcp, softirqs, softnet and tcpinfo only read at each tick and are decoded, encoded and sent after the traffic; netstate and the agents' own points stream; live = everything streams as sampled. ` +
      `Scheduling, read from /proc/<pid>/task/*/stat: ${[...c.policies].map(([who, p]) => `${who} ${p}`).join(", ")} (the agents' default; the collector as \`eastwest demo\` runs it). ` +
      `reference = no agent work. Namespaces ${a.name} ${a.ip} and ${b.name} ${b.ip} on bridge ${c.topo.bridge}, single TCP stream, agents warmed up ${c.o.warmupS} s before measuring. ` +
      `Ratio column: mean of the per-pair differences (agents - none) in % ± its standard error (SE); ok = the whole interval diff ± 2 SE lies within ±${MAX_DIFF_PCT} %, MISS = it lies wholly outside, "not resolved" = it spans the target (more pairs or longer runs needed).`,
  ];
  const list = (xs: number[]) => xs.map((x) => fmt(gbit(x), 2)).join(", ");
  if (runs) {
    for (const dir of DIRECTIONS) rows.push(row(`runs, ${c.o.delivery[0]}`, dir, runs[dir], c));
    notes.push(
      `(c) runs: ${c.o.pairs} pairs of separate ${c.o.iperfSeconds} s iperf3 -J runs per direction in ABBA order, agents started anew for each. Gbit/s b->a none [${list(runs.b_to_a.map((p) => p.none))}], agents [${list(runs.b_to_a.map((p) => p.agents))}]; ` +
        `a->b none [${list(runs.a_to_b.map((p) => p.none))}], agents [${list(runs.a_to_b.map((p) => p.agents))}]. Each agent used ${fmt(mean(runsCpu.agents), 2)} % of a core, the collector ${fmt(mean(runsCpu.collector), 2)} %, during the agents' runs: ${cpuShare(runsCpu.agents, runsCpu.collector, 2)}. ` +
        `Differences per pair, %: ${spread("b->a", runs.b_to_a)}; ${spread("a->b", runs.a_to_b)}.`,
    );
  }
  for (const run of interleaved) {
    for (const dir of DIRECTIONS) rows.push(row(`interleaved, ${run.delivery}`, dir, run.pairs[dir], c, run.stacks));
    const agents = 2 * run.stacks;
    const decode = run.decode
      ? `Held: the agents held their samples through each direction's run (${fmt(run.decode.heldBytesPerAgent / 2 ** 20, 1)} MiB per agent) and decoded them after it, taking ${fmt(run.decode.cpuSPerS * 1000, 2)} ms of CPU (all agents) per second of traffic, outside the measurement. `
      : "Live: the agents streamed their samples during the traffic. ";
    notes.push(
      `(c) interleaved, ${run.delivery}, ${run.stacks} agent(s) per namespace: ${decode}One ${c.o.interleavedSeconds} s iperf3 run per direction (iperf3's own figure: b->a ${fmt(gbit(run.iperfBps.b_to_a), 2)}, a->b ${fmt(gbit(run.iperfBps.a_to_b), 2)} Gbit/s) while the agents were alternately stopped (SIGSTOP) and running, ` +
        `in ABBA phases of ${PHASE_MS} ms; a phase's throughput is the receiving veth's tx_bytes over its last ${PHASE_MS - SETTLE_MS} ms; each ABBA quartet is one pair. ` +
        `Each of the ${agents} agents used ${fmt(mean(run.agentCpuPct), 2)} % of a core while running, the collector ${fmt(mean(run.collectorCpuPct), 2)} %: ${cpuShare(run.agentCpuPct, run.collectorCpuPct, agents)}. ` +
        (run.stacks > 1
          ? `Per stack: the difference divided by ${run.stacks}, as is its SE; this assumes the effect grows in proportion to the load (compare the 1-agent rows of \`--stacks 1,${run.stacks}\`). `
          : "") +
        `Differences per pair, %: ${spread("b->a", run.pairs.b_to_a)}; ${spread("a->b", run.pairs.a_to_b)}.`,
    );
  }
  return { rows, notes };
}
