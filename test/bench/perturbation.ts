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
import { startProcess, tempDir, waitFor, type Proc } from "../helpers/procs.ts";
import { ensureBinaries, isRoot, onCleanup } from "./host.ts";
import { createTopology, destroyTopology, inNamespace, nsCommand, type Namespace, type Topology } from "./netns.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { agentConfigFile, agentHighestSeq, holdAgent, startAgent, startCollector, waitForAgentData } from "./stack.ts";
import { mean, type Pair } from "./paired.ts";
import { outcome } from "./perturbation-report.ts";
import { BENCH, DIRECTIONS, IPERF_PORT, PHASE_MS, RAMP_MS, SAMPLERS_10HZ, SETTLE_MS, type Agent, type Context, type Delivery, type Direction, type Interleaved, type Mode, type Pairs, type PerturbationOptions } from "./perturbation-types.ts";
import { SCHED_IDLE, threadPolicies } from "../../common/src/sched.ts";
import { statusRow, type BenchOutcome } from "./table.ts";

export type { Delivery, PerturbationOptions };

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
    const st = await holdAgent(c.col, a.id, forMs);
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
  for (const a of agents) heldBytes += (await holdAgent(c.col, a.id, 0)).held_bytes;
  await waitFor(async () => {
    for (const a of agents) if ((await holdAgent(c.col, a.id, 0)).held_ticks > 0) return undefined;
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
export function receivedBytes(ns: Namespace): number {
  return Number(readFileSync(`/sys/class/net/${ns.hostVeth}/statistics/tx_bytes`, "utf8"));
}

function signalAgents(agents: readonly Agent[], mode: Mode): void {
  for (const a of agents) process.kill(a.proc.pid, mode === "agents" ? "SIGCONT" : "SIGSTOP");
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
      // why: each phase takes a little more than PHASE_MS (switching, reading counters); over a long run that adds
      // up past iperf3's end, so a quartet starts only while iperf3 still has room for it and the closing ramp.
      const endsAt = performance.now() + c.o.interleavedSeconds * 1000 - RAMP_MS;
      let runningS = 0;
      const collector = new ProcessMeter(c.col.proc.pid);
      collector.start();
      for (const a of agents) a.meter.start();
      try {
        await sleep(RAMP_MS);
        for (let q = 0; q < quartets && performance.now() + 4 * PHASE_MS <= endsAt; q++) {
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

export async function startIperfServer(ns: Namespace): Promise<Proc> {
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
  const c: Context = { topo, col, config: agentConfigFile(dir.path, "agent-10hz", SAMPLERS_10HZ, { hold: true }), o, agentCpuPct: [], collectorCpuPct: [], policies: new Map([["collector", policyOf(col.proc.pid)]]) };
  const runs = o.pairs > 0 ? await pairedRuns(c) : undefined;
  const runsCpu = { agents: [...c.agentCpuPct], collector: [...c.collectorCpuPct] };
  const interleaved: Interleaved[] = [];
  if (o.interleavedSeconds > 0) for (const delivery of o.delivery) for (const stacks of o.stacks) interleaved.push(await interleavedRuns(c, stacks, delivery));
  return outcome(c, runs, runsCpu, interleaved);
}
