// The results of one correlated run: iperf3's report, the agents' counters over the run window, and the cost
// model's reading of them. A stored and served document, so keys are snake_case with the unit in the suffix,
// like the model's Breakdown. Every number is finite; a figure that cannot be computed is null and a warning
// says why. bigint values (times in Unix epoch ns) serialise with common's toJson.
import type { Breakdown, Ceiling, ModelConstants, Observed } from "../model/cost-model.ts";
import type { RunSpec, Window } from "./types.ts";
import type { EndProfile, MachineProfile } from "./profile.ts";

export type Side = "server" | "client";

/** forward: client -> server; reverse (-R): server -> client; bidir: both, client -> server is the reference. */
export type Direction = "forward" | "reverse" | "bidir";

/** The increase of one counter between two samples inside the window. */
export interface CounterSpan {
  /** First sample at/after the window start. */
  from_ns: bigint;
  /** Last sample at/before the window end. */
  to_ns: bigint;
  seconds: number;
  /** Increase over the span; across a reset, the increases before it plus the value after it (a lower bound). */
  delta: number;
  resets: number;
  samples: number;
}

/** How the interface was picked: named in the spec, most bytes in the window, or lo for a loopback run. */
export type InterfaceChoice = "spec" | "busiest" | "loopback" | "none";

/** One interface's counters over the window, in the direction this end moved the run's data. */
export interface InterfaceRates {
  interface: string | null;
  chosen_by: InterfaceChoice;
  /** tx on the data sender, rx on the data receiver. */
  direction: "tx" | "rx";
  bytes: CounterSpan | null;
  packets: CounterSpan | null;
  /**
   * Seconds the deltas are divided by: iperf3's measured test time when the samples bracket the whole run
   * (the window has idle samples on both sides), else the sample span.
   */
  rate_seconds: number | null;
  rate_basis: "iperf3_duration" | "sample_span" | null;
  bits_per_s: number | null;
  packets_per_s: number | null;
  /** bytes / packets: the GSO/TSO size on tx, the GRO size on rx. */
  bytes_per_packet: number | null;
}

export const CPU_FIELDS = ["user_pct", "system_pct", "softirq_pct", "irq_pct", "steal_pct", "guest_pct", "idle_pct", "busy_pct"] as const;
export type CpuField = (typeof CPU_FIELDS)[number];

/** Means of the cpu=all percentages whose interval ends inside the window, (from_ns, to_ns]; null: no sample. */
export type CpuMeans = { samples: number } & Record<CpuField, number | null>;

export type FlowValue = number | bigint | boolean | string;

/** The last tcp_flow row inside the window of one flow (tags local, remote, state). */
export interface FlowSnapshot {
  local: string;
  remote: string;
  state: string;
  time_ns: bigint;
  /** Field name (schema tcp_flow) -> value; null and non-finite values are left out. */
  fields: Record<string, FlowValue>;
}

export interface EndpointResults {
  side: Side;
  agent_id: string;
  /** "sender" when this end sent the reference direction's data. */
  role: "sender" | "receiver";
  /** The host tag of this agent's series; "" when none was seen. */
  host: string;
  netdev: InterfaceRates;
  cpu: CpuMeans;
  /** tcp.retrans_segs_total increase over the window (the whole namespace, every socket). */
  retrans_segs: CounterSpan | null;
  flows: FlowSnapshot[];
  /** Rows inside the window per measurement. */
  samples: { netdev: number; cpu: number; tcp: number; tcp_flow: number };
}

/** iperf3's figures for the run (client report; the server's own report only cross-checks). */
export interface Iperf3Results {
  start_ns: bigint;
  duration_s: number;
  protocol: string;
  streams: number;
  length_bytes: number;
  reverse: boolean;
  bidir: boolean;
  sender_congestion: string | null;
  receiver_congestion: string | null;
  sender_bytes: number;
  sender_bits_per_s: number;
  receiver_bytes: number;
  receiver_bits_per_s: number;
  retransmits: number | null;
  /** iperf3's own process CPU (cpu_utilization_percent total) per end; null when not reported. */
  server_cpu_pct: number | null;
  client_cpu_pct: number | null;
  /** The second direction of a --bidir test (server -> client), receiver's figure. */
  bidir_reverse_bits_per_s: number | null;
  /** True when the server's own report was given and describes the same test. */
  server_report: boolean;
}

export interface ThroughputResults {
  /** iperf3's receiver figure (end.sum_received): the reference. */
  iperf3_receiver_bits_per_s: number;
  iperf3_receiver_gbit_s: number;
  /** iperf3's sender figure (end.sum_sent). */
  iperf3_sender_bits_per_s: number;
  /** Data sender's interface, tx_bytes_total. */
  netdev_sender_bits_per_s: number | null;
  /** Data receiver's interface, rx_bytes_total. */
  netdev_receiver_bits_per_s: number | null;
  /** netdev / iperf3 receiver; headers make netdev read slightly above 1. */
  sender_agreement: number | null;
  receiver_agreement: number | null;
}

export interface RetransmitResults {
  /** iperf3's count (end.sum_sent.retransmits); null for UDP. */
  iperf3: number | null;
  /** RetransSegs increase on the data sender's agent over the window. */
  sender_retrans_segs: number | null;
}

export interface RunModel {
  model_version: string;
  constants: ModelConstants;
  /** What was fed to breakdown(). */
  observed: Observed;
  /** Observed key -> how it was obtained, in words. */
  derivations: Record<string, string>;
  breakdown: Breakdown;
  ceiling: Ceiling;
  /** iperf3 receiver throughput, Gbit/s. */
  measured_gbit_s: number | null;
  /** measured_gbit_s / ceiling.max_gbit_s. */
  efficiency: number | null;
}

export interface RunResults {
  run_id: string;
  spec: RunSpec;
  window: Window;
  window_s: number;
  direction: Direction;
  /** The end that sent the reference direction's data. */
  sender: Side;
  iperf3: Iperf3Results;
  throughput: ThroughputResults;
  server: EndpointResults;
  client: EndpointResults;
  retransmits: RetransmitResults;
  model: RunModel;
  /**
   * CPU profiles of the traffic (perf cpu-clock): per end (its iperf3 process) and per profiled machine, samples
   * and us per packet per term; null when the run asked for none. An end that could not be profiled says
   * "unavailable: <reason>" in its status, and the model then keeps its counts.
   */
  profile?: { ends: EndProfile[]; machines: MachineProfile[] } | null;
  /** Plain-language notes: disagreements, missing samples, substitutions. */
  warnings: string[];
}
