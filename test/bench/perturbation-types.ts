// (c) perturbation: options, constants and the shapes its runs and its report share.
import type { Proc } from "../helpers/procs.ts";
import type { Topology } from "./netns.ts";
import type { Pair } from "./paired.ts";
import type { ProcessMeter } from "./proc-stat.ts";
import type { RunningCollector, SamplerSetting } from "./stack.ts";

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

export const BENCH = "(c) perturbation";
export const MAX_DIFF_PCT = 1;
export const IPERF_PORT = 5201;
/** Interleaved phases: each is PHASE_MS long; its first SETTLE_MS are not counted (the state just changed). */
export const PHASE_MS = 2000;
export const SETTLE_MS = 250;
/** iperf3 ramp-up (connection, slow start) before the first phase, and slack after the last. */
export const RAMP_MS = 1500;

// 10 Hz for every sampler that reads counters; tcpinfo watches the iperf3 flow; netstate
// (offload/qdisc state via ethtool and tc) keeps its 10 s default, as in a campaign.
export const SAMPLERS_10HZ: Record<string, SamplerSetting> = {
  cpu: { intervalMs: 100 },
  netdev: { intervalMs: 100 },
  tcp: { intervalMs: 100 },
  softirqs: { intervalMs: 100 },
  softnet: { intervalMs: 100 },
  tcpinfo: { intervalMs: 100, options: { flows: [{ port: IPERF_PORT }] } },
};

export type Mode = "none" | "agents";
export type Direction = "b_to_a" | "a_to_b";
export const DIRECTIONS: readonly Direction[] = ["b_to_a", "a_to_b"];

export interface Agent {
  id: string;
  proc: Proc;
  meter: ProcessMeter;
}

/** Throughputs of one measurement per direction, as pairs (none, agents) in bits/s. */
export type Pairs = Record<Direction, Pair[]>;

export interface Context {
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


export interface Interleaved {
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
