// (c) perturbation: the table rows and notes from what the runs measured.
import { availableParallelism } from "node:os";
import { differences, judge, mean, meanDifference, perStack, type Estimate, type Pair } from "./paired.ts";
import { fmt, type BenchOutcome, type Row } from "./table.ts";
import { BENCH, DIRECTIONS, IPERF_PORT, MAX_DIFF_PCT, PHASE_MS, SETTLE_MS, type Context, type Direction, type Interleaved, type Pairs } from "./perturbation-types.ts";

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

export function outcome(
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
