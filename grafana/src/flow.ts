// Flow root cause: the TCP_INFO of a run's flows (as seen by the run's agents) with the
// run's hosts' VM exits and softirq load overlaid, to tell a congestion-control or receiver
// limit from a hypervisor one. Set the time range to the run's window.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { runVariable, tagVariable } from "./controls.ts";
import { buildDashboard } from "./dashboard.ts";
import { rollup, select, type Col, type Match } from "./influxql.ts";
import { timeseries, type Layout } from "./panels.ts";

const RUN: Match = { tag: "run_id", variable: "run" };
const AGENT: Match = { tag: "agent_id", variable: "agent" };
const HOST: Match = { tag: "host", variable: "host" };
const FLOW = ["agent_id", "local", "remote"];
const FLOW_ALIAS = "$tag_agent_id $tag_local→$tag_remote $col";

function flowSeries(title: string, unit: string, fields: readonly string[], layout: Layout = {}) {
  const cols: Col[] = fields.map((field) => ({ field, agg: "mean" }));
  return timeseries(title, unit, [{ text: select({ from: "tcp_flow", cols, where: [AGENT], byTime: true, by: FLOW, fill: "null" }), alias: FLOW_ALIAS }], layout);
}

function tcpInfo() {
  return [
    flowSeries("Congestion window and slow-start threshold (segments)", "none", ["cwnd", "ssthresh"]),
    flowSeries("RTT", "ns", ["rtt_ns", "minrtt_ns", "rttvar_ns"]),
    flowSeries("Delivery, pacing and send rate", "bps", ["delivery_rate_bits_per_s", "pacing_rate_bits_per_s", "send_rate_bits_per_s"]),
    flowSeries("Retransmits per second, lost and unacked segments", "short", ["retrans_per_s", "lost", "unacked", "retrans_inflight"]),
    flowSeries("Socket queues", "bytes", ["recv_q_bytes", "send_q_bytes", "notsent_bytes"], {
      w: 24,
      description: "A full send queue with an open cwnd points at the receiver or the path; a growing receive queue at the receiving application.",
    }),
  ];
}

function overlay() {
  const perCpu = { from: "softirqs", cols: [{ field: "net_rx_per_s", agg: "mean" as const }], where: [HOST], byTime: true, by: ["host", "cpu"] };
  return [
    timeseries("Delivery rate with host VM exits and softirq load", "bps", [
      { text: select({ from: "tcp_flow", cols: [{ field: "delivery_rate_bits_per_s", agg: "mean" }], where: [AGENT], byTime: true, by: FLOW, fill: "null" }), alias: FLOW_ALIAS },
      { text: select({ from: "kvm_exits", cols: [{ field: "exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host VM exits/s" },
      { text: select({ from: "cpu", cols: [{ field: "softirq_pct", agg: "mean" }], where: [HOST, { tag: "cpu", eq: "all" }], byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host softirq %" },
    ], { w: 24, h: 10, overlays: [{ refId: "B", unit: "cps" }, { refId: "C", unit: "percent" }] }),
    timeseries("NET_RX softirqs per second on the run's hosts (sum of CPUs)", "cps", [{
      text: rollup(perCpu, { agg: "sum", byTime: true, by: ["host"], fill: "null" }),
      alias: "$tag_host $col",
    }]),
    timeseries("VM exits per second on the run's hosts, per VM", "cps", [{
      text: select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean" }, { field: "io_exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host", "vm"], fill: "null" }),
      alias: "$tag_host $tag_vm $col",
    }]),
  ];
}

export function flowDashboard(): Dashboard {
  return buildDashboard({
    uid: "eastwest-flow",
    title: "eastwest / Flow root cause",
    description: "A run's TCP_INFO (cwnd, RTT, rates, retransmits, queues) with its hosts' VM exits and softirqs overlaid.",
    variables: [
      runVariable(false),
      tagVariable("agent", "Agent", "run_endpoint", "agent_id", [RUN], { multi: true }),
      tagVariable("host", "Host", "run_endpoint", "host", [RUN], { multi: true }),
    ],
    panels: [...tcpInfo(), ...overlay()],
    from: "now-1h",
  });
}
