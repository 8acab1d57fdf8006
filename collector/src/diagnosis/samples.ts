// The samples a diagnosis may read besides the run record: per-end series over the run window, as plain data
// (load.ts reads them from the store; fixtures carry them as JSON). Every list may be empty: a rule that needs
// one says "cannot tell" with the reason given here.
import type { Series } from "../store/types.ts";

export interface EndSamples {
  agent_id: string;
  /** measurement cpu, every cpu tag (per CPU and "all"). */
  cpu: Series[];
  /** measurement softirqs, per CPU (NET_RX/NET_TX rates). */
  softirqs: Series[];
  /** measurement softnet, per CPU (dropped, time_squeeze). */
  softnet: Series[];
  /** measurement netstate, per interface (offloads, qdisc, MTU); read from a minute before the window. */
  netstate: Series[];
}

export interface RunSamples {
  /** The window the series were read over (Unix epoch ns), as the run record has it. */
  fromNs: bigint;
  toNs: bigint;
  server: EndSamples;
  client: EndSamples;
  /** Why no samples were read (e.g. a store error); rules needing them cite it. */
  missing?: string;
}

/** Measurements of EndSamples, in the order load.ts reads them. */
export const SAMPLE_MEASUREMENTS = ["cpu", "softirqs", "softnet", "netstate"] as const;
export type SampleMeasurement = (typeof SAMPLE_MEASUREMENTS)[number];

/** How far before the window netstate is read: it is a snapshot emitted every 10 s by default (agent netstate README). */
export const NETSTATE_LOOKBACK_NS = 60_000_000_000n;

/** The fields the rules read per measurement (absent: every field). */
export const SAMPLE_FIELDS: Partial<Record<SampleMeasurement, readonly string[]>> = {
  cpu: ["user_pct", "system_pct", "softirq_pct", "irq_pct", "steal_pct", "idle_pct", "busy_pct"],
  softirqs: ["net_rx_total", "net_tx_total", "net_rx_per_s", "net_tx_per_s"],
  softnet: ["processed_total", "dropped_total", "time_squeeze_total", "processed_per_s", "dropped_per_s", "time_squeeze_per_s"],
};
