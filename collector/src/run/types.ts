// A traffic run: what was asked, what happened, and how the cost model explains it.
import type { Series } from "../store/types.ts";

export interface RunEndpoint {
  agentId: string;
  /** Interface carrying the run's traffic on this agent; empty: pick the busiest non-loopback one in the window. */
  interface: string;
}

export interface RunSpec {
  id: string;
  server: RunEndpoint;
  client: RunEndpoint;
  /** Address the client connects to (the server agent's address on the path under test). */
  serverAddress: string;
  port: number;
  durationS: number;
  streams: number;
  /** iperf3 --length (bytes per write/read); 0: iperf3's default (128 KiB for TCP). */
  lengthBytes: number;
  /** Congestion control for the run; empty: the host's default. */
  congestion: string;
  reverse: boolean;
  /** iperf3 --bidir: both directions at once (exclusive with reverse). */
  bidir?: boolean;
  /** Sampling interval during the run window (ms). */
  sampleIntervalMs: number;
  /**
   * Stream samples while the traffic runs. Default (false/absent): the agents hold them (capture only) and decode,
   * encode and send them when the traffic is over, so that the run shares its CPUs with as little work as possible.
   */
  live?: boolean;
  /**
   * Ask each machine of the run for a CPU profile of the traffic (collectProfile), which gives the measured terms.
   * Default (true/absent): yes. false: no profile, e.g. for many short campaign runs where decoding it costs more
   * than the traffic (an emulated guest decodes slowly).
   */
  profile?: boolean;
}

export interface Window {
  fromNs: bigint;
  toNs: bigint;
}

/** What correlation needs from the store for one endpoint over the run window. */
export interface EndpointData {
  agentId: string;
  /** measurement netdev, every interface of this agent. */
  netdev: Series[];
  /** measurement cpu, tag cpu=all. */
  cpu: Series[];
  /** measurement tcp (RetransSegs etc.). */
  tcp: Series[];
  /** measurement tcp_flow (the run's flows only). */
  flows: Series[];
}
