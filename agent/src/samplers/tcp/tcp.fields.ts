// The bounded, documented selection of /proc/net/snmp + /proc/net/netstat counters the tcp sampler emits.
// [group, kernel name, field]. Fields ending in _total are counters; others are gauges.

export type Selection = ReadonlyArray<readonly [group: string, name: string, field: string]>;

export const TCP_FIELDS: Selection = [
  ["Tcp", "ActiveOpens", "active_opens_total"],
  ["Tcp", "PassiveOpens", "passive_opens_total"],
  ["Tcp", "AttemptFails", "attempt_fails_total"],
  ["Tcp", "EstabResets", "estab_resets_total"],
  ["Tcp", "CurrEstab", "curr_estab"],
  ["Tcp", "InSegs", "in_segs_total"],
  ["Tcp", "OutSegs", "out_segs_total"],
  ["Tcp", "RetransSegs", "retrans_segs_total"],
  ["Tcp", "InErrs", "in_errs_total"],
  ["Tcp", "OutRsts", "out_rsts_total"],
  ["Tcp", "InCsumErrors", "in_csum_errors_total"],
  ["TcpExt", "ListenOverflows", "listen_overflows_total"],
  ["TcpExt", "ListenDrops", "listen_drops_total"],
  ["TcpExt", "TCPLostRetransmit", "lost_retransmit_total"],
  ["TcpExt", "TCPFastRetrans", "fast_retrans_total"],
  ["TcpExt", "TCPSlowStartRetrans", "slow_start_retrans_total"],
  ["TcpExt", "TCPTimeouts", "timeouts_total"],
  ["TcpExt", "TCPSpuriousRTOs", "spurious_rtos_total"],
  ["TcpExt", "TCPSackRecovery", "sack_recovery_total"],
  ["TcpExt", "TCPDSACKRecv", "dsack_recv_total"],
  ["TcpExt", "TCPOFOQueue", "ofo_queue_total"],
  ["TcpExt", "TCPOFODrop", "ofo_drop_total"],
  ["TcpExt", "TCPRcvCoalesce", "rcv_coalesce_total"],
  ["TcpExt", "TCPBacklogDrop", "backlog_drop_total"],
  ["TcpExt", "TCPRcvQDrop", "rcv_q_drop_total"],
  ["TcpExt", "PruneCalled", "prune_called_total"],
  ["TcpExt", "RcvPruned", "rcv_pruned_total"],
  ["TcpExt", "TCPMemoryPressures", "memory_pressures_total"],
  ["TcpExt", "TCPZeroWindowDrop", "zero_window_drop_total"],
  ["TcpExt", "TCPToZeroWindowAdv", "to_zero_window_adv_total"],
  ["TcpExt", "TCPWantZeroWindowAdv", "want_zero_window_adv_total"],
  ["TcpExt", "DelayedACKs", "delayed_acks_total"],
  ["TcpExt", "TCPPureAcks", "pure_acks_total"],
  ["TcpExt", "TCPAutoCorking", "auto_corking_total"],
  ["TcpExt", "TCPOrigDataSent", "orig_data_sent_total"],
  ["TcpExt", "TCPDelivered", "delivered_total"],
  ["TcpExt", "TCPDeliveredCE", "delivered_ce_total"],
];

export const UDP_FIELDS: Selection = [
  ["Udp", "InDatagrams", "in_datagrams_total"],
  ["Udp", "OutDatagrams", "out_datagrams_total"],
  ["Udp", "NoPorts", "no_ports_total"],
  ["Udp", "InErrors", "in_errors_total"],
  ["Udp", "RcvbufErrors", "rcvbuf_errors_total"],
  ["Udp", "SndbufErrors", "sndbuf_errors_total"],
  ["Udp", "InCsumErrors", "in_csum_errors_total"],
  ["Udp", "MemErrors", "mem_errors_total"],
];

export const IP_FIELDS: Selection = [
  ["Ip", "InReceives", "in_receives_total"],
  ["Ip", "InDelivers", "in_delivers_total"],
  ["Ip", "OutRequests", "out_requests_total"],
  ["Ip", "InDiscards", "in_discards_total"],
  ["Ip", "OutDiscards", "out_discards_total"],
  ["Ip", "InHdrErrors", "in_hdr_errors_total"],
  ["Ip", "ForwDatagrams", "forw_datagrams_total"],
  ["IpExt", "InOctets", "in_bytes_total"],
  ["IpExt", "OutOctets", "out_bytes_total"],
  ["IpExt", "InNoECTPkts", "in_no_ect_pkts_total"],
  ["IpExt", "InCEPkts", "in_ce_pkts_total"],
];

/** [counter field, rate field] per measurement. */
export const RATES: Readonly<Record<"tcp" | "udp" | "ip", ReadonlyArray<readonly [string, string]>>> = {
  tcp: [
    ["in_segs_total", "in_segs_per_s"],
    ["out_segs_total", "out_segs_per_s"],
    ["retrans_segs_total", "retrans_segs_per_s"],
  ],
  udp: [
    ["in_datagrams_total", "in_datagrams_per_s"],
    ["out_datagrams_total", "out_datagrams_per_s"],
  ],
  ip: [
    ["in_bytes_total", "in_bytes_per_s"],
    ["out_bytes_total", "out_bytes_per_s"],
  ],
};

/** Every field of a selection plus its rates, for the schema. */
export function selectionFields(selection: Selection, rates: ReadonlyArray<readonly [string, string]>): string[] {
  return [...selection.map(([, , field]) => field), ...rates.map(([, field]) => field)];
}
