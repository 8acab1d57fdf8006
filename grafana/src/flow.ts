// Flow root cause: the TCP_INFO of a run's flows (as seen by the run's agents) with the run's hosts' VM exits,
// softirq load, softnet squeezes and TCP drops overlaid, to tell a congestion-control or receiver limit from a
// hypervisor one. Set the time range to the run's window.
import { runVariable, tagVariable, toProm } from "./controls.ts";
import { row, type DashboardSpec } from "./dashboard.ts";
import { rollup, select, type Col, type Match } from "./influxql.ts";
import { timeseries, type Layout } from "./panels.ts";
import { legendOf, promOf, sumRate } from "./promql.ts";

const RUN: Match = { tag: "run_id", variable: "run" };
const AGENT: Match = { tag: "agent_id", variable: "agent" };
const HOST: Match = { tag: "host", variable: "host" };
const FLOW = ["agent_id", "local", "remote"];
const FLOW_ALIAS = "$tag_agent_id $tag_local→$tag_remote $col";

function flowTargets(fields: readonly string[], scale = 1) {
  const cols: Col[] = fields.map((field) => ({ field, agg: "mean" }));
  return {
    influx: [{ text: select({ from: "tcp_flow", cols, where: [AGENT], byTime: true, by: FLOW, fill: "null" }), alias: FLOW_ALIAS }],
    prom: fields.map((f) => ({ expr: promOf("tcp_flow", f, FLOW, toProm([AGENT]), scale), legend: `{{agent_id}} {{local}}→{{remote}} ${f}` })),
  };
}

function flowSeries(title: string, unit: string, fields: readonly string[], layout: Layout) {
  return timeseries(title, unit, flowTargets(fields), layout);
}

function tcpInfo() {
  return [
    row("The run's flows (TCP_INFO)"),
    flowSeries("Congestion window and slow-start threshold (segments)", "none", ["cwnd", "ssthresh"], { description: "cwnd limits what the sender may have in flight; a cwnd collapsing at the same times as retransmits is loss-driven." }),
    flowSeries("RTT", "ns", ["rtt_ns", "minrtt_ns", "rttvar_ns"], { description: "Smoothed RTT, its minimum and variation; RTT rising far above minrtt with a full send queue is queueing (bufferbloat) on the path." }),
    flowSeries("Delivery, pacing and send rate", "bps", ["delivery_rate_bits_per_s", "pacing_rate_bits_per_s", "send_rate_bits_per_s"], { description: "The kernel's estimates for the socket (bits/s)." }),
    flowSeries("Retransmits per second, lost and unacked segments", "short", ["retrans_per_s", "lost", "unacked", "retrans_inflight"], { description: "retrans_per_s from the socket's retransmit counter; lost, unacked and retrans_inflight are the socket's current counts." }),
    flowSeries("Socket queues", "bytes", ["recv_q_bytes", "send_q_bytes", "notsent_bytes"], {
      w: 24,
      description: "A full send queue with an open cwnd points at the receiver or the path; a growing receive queue at the receiving application.",
    }),
  ];
}

function overlay() {
  const perCpu = { from: "softirqs", cols: [{ field: "net_rx_per_s", agg: "mean" as const }], where: [HOST], byTime: true, by: ["host", "cpu"] };
  const H = toProm([HOST]);
  const cpuAll = toProm([HOST, { tag: "cpu", eq: "all" }]);
  const STATES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"].map((s) => `${s}_ns_total`);
  const softirqPct = `100 * ${sumRate("cpu", "softirq_ns_total", ["host"], cpuAll)} / (${STATES.map((f) => sumRate("cpu", f, ["host"], cpuAll)).join(" + ")})`;
  return [
    row("The run's hosts"),
    timeseries("Delivery rate with host VM exits and softirq load", "bps", {
      influx: [
        { text: select({ from: "tcp_flow", cols: [{ field: "delivery_rate_bits_per_s", agg: "mean" }], where: [AGENT], byTime: true, by: FLOW, fill: "null" }), alias: FLOW_ALIAS },
        { text: select({ from: "kvm_exits", cols: [{ field: "exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host VM exits/s" },
        { text: select({ from: "cpu", cols: [{ field: "softirq_pct", agg: "mean" }], where: [HOST, { tag: "cpu", eq: "all" }], byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host softirq %" },
      ],
      prom: [
        { expr: promOf("tcp_flow", "delivery_rate_bits_per_s", FLOW, toProm([AGENT])), legend: "{{agent_id}} {{local}}→{{remote}} delivery_rate_bits_per_s" },
        { expr: sumRate("kvm_exits", "exits_total", ["host"], H), legend: "{{host}} VM exits/s" },
        { expr: softirqPct, legend: "{{host}} softirq %" },
      ],
    }, { w: 24, h: 10, overlays: [{ refId: "B", unit: "cps" }, { refId: "C", unit: "percent" }], description: "The flow's delivery rate (left) against the hosts' VM exits per second and softirq share of CPU (right): a rate that falls when exits or softirq load rise is hypervisor- or stack-bound." }),
    timeseries("NET_RX softirqs per second on the run's hosts (sum of CPUs)", "cps", {
      influx: [{ text: rollup(perCpu, { agg: "sum", byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host $col" }],
      prom: [{ expr: sumRate("softirqs", "net_rx_total", ["host"], H), legend: "{{host}} net_rx_per_s" }],
    }, { description: "Receive softirqs serviced per second on all CPUs of the run's hosts." }),
    timeseries("Softnet squeezes and TCP drops on the run's hosts", "cps", {
      influx: [
        { text: rollup({ from: "softnet", cols: [{ field: "time_squeeze_per_s", agg: "mean" }, { field: "dropped_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host", "cpu"] }, { agg: "sum", byTime: true, by: ["host"], fill: "null" }), alias: "$tag_host $col" },
        { text: select({ from: "tcp", cols: [{ field: "retrans_segs_per_s", agg: "mean" }, { field: "backlog_drop_total", agg: "rate", as: "backlog_drop_per_s" }, { field: "rcv_q_drop_total", agg: "rate", as: "rcv_q_drop_per_s" }], where: [HOST], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" },
      ],
      prom: [
        ...["time_squeeze", "dropped"].map((s) => ({ expr: sumRate("softnet", `${s}_total`, ["host"], H), legend: legendOf(["host"], `${s}_per_s`) })),
        ...["retrans_segs", "backlog_drop", "rcv_q_drop"].map((s) => ({ expr: sumRate("tcp", `${s}_total`, ["agent_id"], H), legend: legendOf(["agent_id"], `${s}_per_s`) })),
      ],
    }, { description: "NAPI budget squeezes and backlog drops (all CPUs), and the namespaces' TCP retransmits, socket-backlog and receive-queue drops per second." }),
    timeseries("VM exits per second on the run's hosts, per VM", "cps", {
      influx: [{ text: select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean" }, { field: "io_exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host", "vm"], fill: "null" }), alias: "$tag_host $tag_vm $col" }],
      prom: ["exits", "io_exits"].map((f) => ({ expr: sumRate("vm_kvm", `${f}_total`, ["host", "vm"], H), legend: `{{host}} {{vm}} ${f}_per_s` })),
    }, { description: "All exits and I/O exits (virtio kicks) per second of each guest on the run's hosts." }),
  ];
}

export function flowDashboard(): DashboardSpec {
  return {
    uid: "eastwest-flow",
    title: "eastwest / Flow root cause",
    description: "A run's TCP_INFO (cwnd, RTT, rates, retransmits, queues) with its hosts' VM exits, softirqs, softnet and TCP drops overlaid.",
    variables: [
      runVariable(false),
      tagVariable("agent", "Agent", { m: "run_endpoint", field: "busy_pct" }, "agent_id", [RUN], { multi: true }),
      tagVariable("host", "Host", { m: "run_endpoint", field: "busy_pct" }, "host", [RUN], { multi: true }),
    ],
    panels: [...tcpInfo(), ...overlay()],
    from: "now-1h",
    agentData: true,
  };
}
