// Measurements written by the collector for traffic runs and the cost model.
import type { FieldType, MeasurementDef } from "./types.ts";

function floats(names: readonly string[]): Record<string, FieldType> {
  return Object.fromEntries(names.map((n) => [n, "float" as const]));
}

export const RUN_MEASUREMENTS: Record<string, MeasurementDef> = {
  run: {
    doc:
      "One correlated traffic run (collector/src/run/correlate.ts), at the end of its window: iperf3's receiver and sender throughput, " +
      "netdev throughput at the data sender (tx) and receiver (rx) with their agreement (netdev / iperf3 receiver), retransmits " +
      "(iperf3's and the sender's RetransSegs delta), the model's ceiling and the efficiency against it. direction: forward | reverse | bidir. " +
      "Figures that could not be computed are left out; warning_count counts the run's plain-language warnings.",
    tags: ["run_id", "server_agent_id", "client_agent_id", "direction", "protocol", "congestion", "model_version"],
    fields: floats([
      "duration_s", "window_s", "streams", "length_bytes",
      "iperf3_receiver_bits_per_s", "iperf3_sender_bits_per_s", "iperf3_retransmits",
      "netdev_sender_bits_per_s", "netdev_receiver_bits_per_s", "sender_agreement", "receiver_agreement",
      "sender_retrans_segs", "ceiling_gbit_s", "efficiency_pct", "warning_count",
    ]),
  },
  run_window: {
    doc:
      "A run's traffic on the time axis (collector/src/run/window.ts), for region annotations. running: true when the traffic starts " +
      "(rewritten every minute while it lasts) and false when it is over, written live so a Prometheus scrape of /metrics sees the run " +
      "while it runs; end_timestamp_ms (Unix ms): with the run's results, a point at the start of the correlated window carrying its end.",
    tags: ["run_id", "server_agent_id", "client_agent_id"],
    fields: { running: "bool", end_timestamp_ms: "float" },
  },
  run_endpoint: {
    doc:
      "One end of a correlated run over its window: the run's interface in the direction this end moved data (tx on the sender, " +
      "rx on the receiver; bytes_per_packet is the GSO/TSO or GRO size; rates are deltas over netdev_rate_s: iperf3's test time when the samples bracket the run, else netdev_span_s), mean CPU of cpu=all, the TCP RetransSegs delta and iperf3's " +
      "own process CPU. side: server | client; role: sender | receiver; interface \"\" when none was found.",
    tags: ["run_id", "agent_id", "host", "side", "role", "interface"],
    fields: floats([
      "netdev_bits_per_s", "netdev_packets_per_s", "netdev_bytes_per_packet", "netdev_bytes", "netdev_packets", "netdev_span_s", "netdev_rate_s",
      "user_pct", "system_pct", "softirq_pct", "irq_pct", "steal_pct", "guest_pct", "idle_pct", "busy_pct",
      "retrans_segs", "iperf3_cpu_pct",
    ]),
  },
  diagnosis: {
    doc:
      "One finding of a run's diagnosis (collector/src/diagnosis/), at the end of the run's window: a rule's verdict " +
      "(bottleneck | contributing | ruled out | cannot tell), its confidence (0..1) and its key figure (key_value, in the unit the " +
      "run's record gives with the finding; absent when the finding has none). end: sender | receiver | both | \"\" (none). " +
      "Written when the run is made; older runs get theirs computed when read, without points.",
    tags: ["run_id", "rule", "verdict", "end", "engine_version"],
    fields: { confidence: "float", key_value: "float" },
  },
  cost_breakdown: {
    doc:
      "Cost-model breakdown of one window (collector/src/model/breakdown.ts): model time per term from observed counts per packet " +
      "against the measured time per packet (1 / packets/s); unexplained_us = measured - model, negative when the model over-predicts. " +
      "Carries the model version (tag) and the constants used (const_*). *_source: observed | derived | model | none; fit: remainder | over_predicts | unmeasured.",
    tags: ["agent_id", "host", "vm", "run_id", "model_version", "copies_source", "syscalls_source", "exits_source", "fit"],
    fields: {
      model_per_packet_us: "float",
      measured_per_packet_us: "float",
      measured_packets_per_s: "float",
      unexplained_us: "float",
      unexplained_pct: "float",
      bytes_per_packet: "float",
      copies_per_packet: "float",
      copy_unit_us: "float",
      copies_us: "float",
      syscalls_per_packet: "float",
      syscall_unit_us: "float",
      syscalls_us: "float",
      exits_per_packet: "float",
      exit_unit_us: "float",
      exits_us: "float",
      const_packet_bytes: "float",
      const_copies: "float",
      const_copy_us: "float",
      const_copy_bytes_per_s: "float",
      const_syscalls: "float",
      const_syscall_us: "float",
      const_exits: "float",
      const_exit_us: "float",
    },
  },
};
