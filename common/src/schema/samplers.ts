// Measurements emitted by the agent's samplers (agent/src/samplers/*). Each sampler's README documents its fields.
import type { FieldType, MeasurementDef } from "./types.ts";

/** Tags every agent point carries (SampleContext.baseTags). */
const BASE = ["agent_id", "host", "netns"] as const;

function typed(type: FieldType, names: readonly string[]): Record<string, FieldType> {
  return Object.fromEntries(names.map((n) => [n, type]));
}

const CPU_STATES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"];
const NETDEV_COUNTERS = [
  "rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
  "tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed",
];
const SOFTIRQS = ["hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"];
const ETHTOOL_FEATURES = [
  "rx_checksumming", "tx_checksumming", "scatter_gather", "tcp_segmentation_offload", "generic_segmentation_offload",
  "generic_receive_offload", "large_receive_offload", "rx_gro_hw", "rx_gro_list", "rx_udp_gro_forwarding",
  "tx_udp_segmentation", "tx_nocache_copy",
];

export const SAMPLER_MEASUREMENTS: Record<string, MeasurementDef> = {
  cpu: {
    doc: "CPU time per cpu (cpu=\"all\" for the sum) from /proc/stat: ns since boot per state, and % of the interval. guest and guest_nice are included in user and nice.",
    tags: [...BASE, "cpu"],
    fields: {
      ...typed("uint", CPU_STATES.map((s) => `${s}_ns_total`)),
      ...typed("float", [...CPU_STATES.map((s) => `${s}_pct`), "busy_pct"]),
    },
  },
  kernel: {
    doc: "Kernel activity from /proc/stat: context switches, interrupts, softirqs, forks; runnable and blocked tasks now.",
    tags: [...BASE],
    fields: {
      ...typed("uint", ["context_switches_total", "interrupts_total", "softirqs_total", "forks_total", "procs_running", "procs_blocked"]),
      ...typed("float", ["context_switches_per_s", "interrupts_per_s", "softirqs_per_s", "forks_per_s"]),
    },
  },
  netdev: {
    doc: "Per-interface counters of the agent's network namespace from /proc/net/dev, with byte and packet rates.",
    tags: [...BASE, "interface"],
    fields: {
      ...typed("uint", NETDEV_COUNTERS.map((c) => `${c}_total`)),
      ...typed("float", ["rx_bytes_per_s", "tx_bytes_per_s", "rx_packets_per_s", "tx_packets_per_s"]),
    },
  },
  tcp: {
    doc: "TCP stack counters of the namespace (/proc/net/snmp Tcp, /proc/net/netstat TcpExt); curr_estab is a gauge. retrans_segs_pct = retransmitted / sent segments over the interval.",
    tags: [...BASE],
    fields: {
      ...typed("uint", [
        "active_opens_total", "passive_opens_total", "attempt_fails_total", "estab_resets_total", "curr_estab",
        "in_segs_total", "out_segs_total", "retrans_segs_total", "in_errs_total", "out_rsts_total", "in_csum_errors_total",
        "listen_overflows_total", "listen_drops_total", "lost_retransmit_total", "fast_retrans_total",
        "slow_start_retrans_total", "timeouts_total", "spurious_rtos_total", "sack_recovery_total", "dsack_recv_total",
        "ofo_queue_total", "ofo_drop_total", "rcv_coalesce_total", "backlog_drop_total", "rcv_q_drop_total",
        "prune_called_total", "rcv_pruned_total", "memory_pressures_total", "zero_window_drop_total",
        "to_zero_window_adv_total", "want_zero_window_adv_total", "delayed_acks_total", "pure_acks_total",
        "auto_corking_total", "orig_data_sent_total", "delivered_total", "delivered_ce_total",
      ]),
      ...typed("float", ["in_segs_per_s", "out_segs_per_s", "retrans_segs_per_s", "retrans_segs_pct"]),
    },
  },
  udp: {
    doc: "UDP counters of the namespace from /proc/net/snmp (Udp).",
    tags: [...BASE],
    fields: {
      ...typed("uint", [
        "in_datagrams_total", "out_datagrams_total", "no_ports_total", "in_errors_total", "rcvbuf_errors_total",
        "sndbuf_errors_total", "in_csum_errors_total", "mem_errors_total",
      ]),
      ...typed("float", ["in_datagrams_per_s", "out_datagrams_per_s"]),
    },
  },
  ip: {
    doc: "IPv4 counters of the namespace from /proc/net/snmp (Ip) and /proc/net/netstat (IpExt octets as bytes).",
    tags: [...BASE],
    fields: {
      ...typed("uint", [
        "in_receives_total", "in_delivers_total", "out_requests_total", "in_discards_total", "out_discards_total",
        "in_hdr_errors_total", "forw_datagrams_total", "in_bytes_total", "out_bytes_total", "in_no_ect_pkts_total",
        "in_ce_pkts_total",
      ]),
      ...typed("float", ["in_bytes_per_s", "out_bytes_per_s"]),
    },
  },
  softirqs: {
    doc: "Softirqs serviced per cpu and type from /proc/softirqs, with NET_RX / NET_TX rates.",
    tags: [...BASE, "cpu"],
    fields: {
      ...typed("uint", SOFTIRQS.map((s) => `${s}_total`)),
      ...typed("float", ["net_rx_per_s", "net_tx_per_s"]),
    },
  },
  softnet: {
    doc: "Per-cpu packet processing from /proc/net/softnet_stat: packets processed, backlog drops, NAPI budget squeezes, RPS, flow-limit; backlog_len is a gauge.",
    tags: [...BASE, "cpu"],
    fields: {
      ...typed("uint", ["processed_total", "dropped_total", "time_squeeze_total", "received_rps_total", "flow_limit_count_total", "backlog_len"]),
      ...typed("float", ["processed_per_s", "dropped_per_s", "time_squeeze_per_s"]),
    },
  },
  tcp_flow: {
    doc: "TCP_INFO of one selected socket (tcpinfo sampler, ss -tin), only for configured flows and at most maxFlows of them.",
    tags: [...BASE, "local", "remote", "state"],
    fields: {
      ...typed("uint", [
        "recv_q_bytes", "send_q_bytes", "rto_ns", "rtt_ns", "rttvar_ns", "minrtt_ns", "rcv_rtt_ns", "mss_bytes",
        "pmtu_bytes", "rcv_space_bytes", "cwnd", "ssthresh", "sent_bytes_total", "acked_bytes_total",
        "received_bytes_total", "retrans_bytes_total", "segs_out_total", "segs_in_total", "data_segs_out_total",
        "data_segs_in_total", "retrans_inflight", "retrans_total", "lost", "reordering", "unacked", "notsent_bytes",
        "delivered_total", "busy_ns_total", "rwnd_limited_ns_total", "sndbuf_limited_ns_total",
      ]),
      ...typed("float", [
        "send_rate_bits_per_s", "pacing_rate_bits_per_s", "delivery_rate_bits_per_s",
        "acked_bytes_per_s", "received_bytes_per_s", "retrans_per_s",
      ]),
      app_limited: "bool",
    },
  },
  netstate: {
    doc: "Snapshot of one interface: offloads (ethtool -k; <feature>_fixed when the driver forbids changing it), MTU, operstate and root qdisc kind (\"none\" when the device has none).",
    tags: [...BASE, "interface", "qdisc", "operstate"],
    fields: {
      mtu_bytes: "uint",
      ...typed("bool", ETHTOOL_FEATURES.flatMap((f) => [f, `${f}_fixed`])),
    },
  },
  netstate_stack: {
    doc: "Snapshot of the namespace's TCP congestion control (current and available, space-separated) and net.core busy_poll / busy_read (us).",
    tags: [...BASE, "congestion_control", "cc_available"],
    fields: typed("uint", ["cc_available_count", "busy_poll_us", "busy_read_us"]),
  },
};
