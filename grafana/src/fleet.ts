// Fleet overview: which hosts and agents report, what the hosts move and what it costs them (CPU, softirqs,
// softnet, TCP, VM exits, memory bandwidth, PMU), interface errors, and whether the agents are healthy.
import { agentVariable, hostVariable, toProm } from "./controls.ts";
import { row, type DashboardSpec } from "./dashboard.ts";
import { fleetHealth } from "./fleet-health.ts";
import { rollup, select, type Match } from "./influxql.ts";
import { stat, timeseries } from "./panels.ts";
import { by, legendOf, maxOf, sel, sumRate } from "./promql.ts";

const HOST: Match = { tag: "host", variable: "host" };
const AGENT: Match = { tag: "agent_id", variable: "agent" };
const CPU_ALL: Match = { tag: "cpu", eq: "all" };
const HA = [HOST, AGENT];
const PHA = toProm(HA);

/** A count of distinct tag values among series seen in the range. */
function countOf(from: string, field: string, key: string, as: string, where: Match[]) {
  return {
    influx: [{ text: rollup({ from, cols: [{ field, agg: "last", as }], where, by: [key] }, { agg: "count" }) }],
    prom: [{ expr: `count(${by("count", from, [key], sel(from, field, toProm(where)))})`, legend: as }],
  };
}

function stats() {
  return [
    stat("Hosts reporting", "none", countOf("cpu", "busy_pct", "host", "hosts", [CPU_ALL, HOST]), { description: "Distinct hosts whose agents sent CPU samples in the range." }),
    stat("Agents reporting", "none", countOf("cpu", "busy_pct", "agent_id", "agents", [CPU_ALL, ...HA]), { description: "Distinct agents (hosts, guests, namespaces) that sent CPU samples in the range." }),
    stat("VMs", "none", countOf("vm_info", "vcpus", "vm_uuid", "vms", [HOST]), { description: "QEMU guests the host agents found (vm sampler)." }),
    stat("Points dropped by agents", "none", {
      influx: [{ text: rollup({ from: "eastwest_agent", cols: [{ field: "dropped_points_total", agg: "last" }], where: [AGENT], by: ["agent_id"] }, { agg: "sum" }) }],
      prom: [{ expr: `sum(${maxOf("eastwest_agent", "dropped_points_total", ["agent_id"], toProm([AGENT]))})`, legend: "dropped" }],
    }, { description: "Points agents dropped because their outbox overflowed, summed over the chosen agents (since each agent started)." }),
  ];
}

/** Per-second rates of netdev counters by agent and interface, in both languages. */
function netdevRates(fields: readonly string[], scale = 1) {
  const by = ["host", "agent_id", "interface"];
  return {
    influx: [{ text: select({ from: "netdev", cols: fields.map((field) => ({ field, agg: "rate" as const, as: field.replace(/_total$/, "_per_s"), ...(scale === 1 ? {} : { scale }) })), where: HA, byTime: true, by, fill: "null" }), alias: "$tag_agent_id $tag_interface $col" }],
    prom: fields.map((f) => ({ expr: sumRate("netdev", f, ["agent_id", "interface"], PHA, scale), legend: legendOf(["agent_id", "interface"], f.replace(/_total$/, "")) })),
  };
}

function traffic() {
  const by = ["host", "agent_id", "interface"];
  return [
    row("Traffic"),
    timeseries("Throughput per interface", "bps", {
      influx: [{ text: select({ from: "netdev", cols: [{ field: "rx_bytes_per_s", agg: "mean", as: "rx_bits_per_s", scale: 8 }, { field: "tx_bytes_per_s", agg: "mean", as: "tx_bits_per_s", scale: 8 }], where: HA, byTime: true, by, fill: "null" }), alias: "$tag_agent_id $tag_interface $col" }],
      prom: ["rx", "tx"].map((d) => ({ expr: sumRate("netdev", `${d}_bytes_total`, ["agent_id", "interface"], PHA, 8), legend: legendOf(["agent_id", "interface"], `${d} bits/s`) })),
    }, { description: "Bits per second received (rx) and sent (tx) on each interface of each agent's network namespace (/proc/net/dev)." }),
    timeseries("Packets per interface", "pps", {
      influx: [{ text: select({ from: "netdev", cols: [{ field: "rx_packets_per_s", agg: "mean" }, { field: "tx_packets_per_s", agg: "mean" }], where: HA, byTime: true, by, fill: "null" }), alias: "$tag_agent_id $tag_interface $col" }],
      prom: ["rx", "tx"].map((d) => ({ expr: sumRate("netdev", `${d}_packets_total`, ["agent_id", "interface"], PHA), legend: legendOf(["agent_id", "interface"], `${d} packets/s`) })),
    }, { description: "Packets per second; throughput / packets is the size the stack moves per packet (GSO/GRO batches)." }),
    timeseries("Interface errors and drops per second", "pps", netdevRates(["rx_errs_total", "rx_drop_total", "tx_errs_total", "tx_drop_total"]), {
      w: 24,
      description: "Receive and transmit errors and drops per interface (/proc/net/dev). rx_drop on a tap or veth: the stack could not take the packet (backlog full, no memory); tx_drop: the qdisc or device refused it.",
    }),
  ];
}

function cpu() {
  const states = ["busy", "softirq", "system", "steal", "guest"];
  const STATES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"].map((s) => `${s}_ns_total`);
  const total = `(${STATES.map((f) => sumRate("cpu", f, ["agent_id"], toProm([CPU_ALL, ...HA]))).join(" + ")})`;
  const share = (s: string) => (s === "busy" ? `100 * (1 - (${sumRate("cpu", "idle_ns_total", ["agent_id"], toProm([CPU_ALL, ...HA]))} + ${sumRate("cpu", "iowait_ns_total", ["agent_id"], toProm([CPU_ALL, ...HA]))}) / ${total})` : `100 * ${sumRate("cpu", `${s}_ns_total`, ["agent_id"], toProm([CPU_ALL, ...HA]))} / ${total}`);
  const perCpu = { from: "softirqs", cols: [{ field: "net_rx_per_s", agg: "mean" as const }, { field: "net_tx_per_s", agg: "mean" as const }], where: HA, byTime: true, by: ["host", "agent_id", "cpu"] };
  const perCpuLabels = ["agent_id", "cpu"];
  return [
    row("CPU, softirqs and softnet"),
    timeseries("CPU: busy, softirq, system, steal, guest (all CPUs)", "percent", {
      influx: [{ text: select({ from: "cpu", cols: states.map((s) => ({ field: `${s}_pct`, agg: "mean" as const })), where: [CPU_ALL, ...HA], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" }],
      prom: states.map((s) => ({ expr: share(s), legend: legendOf(["agent_id"], `${s} %`) })),
    }, { description: "Share of all CPUs' time (/proc/stat, cpu=all). busy = not idle and not iowait; guest is part of user (time running vCPUs)." }),
    timeseries("NET_RX / NET_TX softirqs per second (sum of CPUs)", "cps", {
      influx: [{ text: rollup(perCpu, { agg: "sum", byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" }],
      prom: ["net_rx", "net_tx"].map((s) => ({ expr: sumRate("softirqs", `${s}_total`, ["agent_id"], PHA), legend: legendOf(["agent_id"], s) })),
    }, { description: "Network receive and transmit softirqs serviced per second on all CPUs (/proc/softirqs)." }),
    timeseries("NET_RX / NET_TX softirqs per second, per CPU", "cps", {
      influx: [{ text: select({ ...perCpu, fill: "null" }), alias: "$tag_agent_id cpu $tag_cpu $col" }],
      prom: ["net_rx", "net_tx"].map((s) => ({ expr: sumRate("softirqs", `${s}_total`, perCpuLabels, PHA), legend: `{{agent_id}} cpu {{cpu}} ${s}` })),
    }, { description: "Per CPU: one CPU taking all NET_RX softirqs while others idle points at a single queue or RPS/RFS off." }),
    timeseries("Softnet: backlog drops and time squeezes per second, per CPU", "cps", {
      influx: [{ text: select({ from: "softnet", cols: [{ field: "dropped_per_s", agg: "mean" }, { field: "time_squeeze_per_s", agg: "mean" }], where: HA, byTime: true, by: ["host", "agent_id", "cpu"], fill: "null" }), alias: "$tag_agent_id cpu $tag_cpu $col" }],
      prom: ["dropped", "time_squeeze"].map((s) => ({ expr: sumRate("softnet", `${s}_total`, perCpuLabels, PHA), legend: `{{agent_id}} cpu {{cpu}} ${s}` })),
    }, { description: "/proc/net/softnet_stat: dropped = the per-CPU backlog was full (net.core.netdev_max_backlog); time_squeeze = NAPI polling ran out of budget or time with work left (net.core.netdev_budget)." }),
  ];
}

function tcp() {
  const drops = ["listen_drops_total", "backlog_drop_total", "rcv_q_drop_total", "ofo_drop_total", "zero_window_drop_total", "in_errs_total"];
  return [
    row("TCP"),
    timeseries("TCP retransmitted segments per second and % of sent", "cps", {
      influx: [
        { text: select({ from: "tcp", cols: [{ field: "retrans_segs_per_s", agg: "mean" }], where: HA, byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" },
        { text: select({ from: "tcp", cols: [{ field: "retrans_segs_pct", agg: "mean" }], where: HA, byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" },
      ],
      prom: [
        { expr: sumRate("tcp", "retrans_segs_total", ["agent_id"], PHA), legend: legendOf(["agent_id"], "retrans_segs_per_s") },
        { expr: `100 * ${sumRate("tcp", "retrans_segs_total", ["agent_id"], PHA)} / ${sumRate("tcp", "out_segs_total", ["agent_id"], PHA)}`, legend: legendOf(["agent_id"], "retrans_segs_pct") },
      ],
    }, { overlays: [{ refId: "B", unit: "percent" }], description: "RetransSegs of the namespace's TCP stack (/proc/net/snmp) per second, and as % of segments sent (right axis)." }),
    timeseries("TCP drops and errors per second", "cps", {
      influx: [{ text: select({ from: "tcp", cols: drops.map((field) => ({ field, agg: "rate" as const, as: field.replace(/_total$/, "_per_s") })), where: HA, byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id $col" }],
      prom: drops.map((f) => ({ expr: sumRate("tcp", f, ["agent_id"], PHA), legend: legendOf(["agent_id"], f.replace(/_total$/, "")) })),
    }, { description: "TcpExt drops (/proc/net/netstat): listen queue, socket backlog, receive queue (rcvbuf), out-of-order queue, zero window; InErrs of Tcp. A receiver that cannot keep up shows here before it shows in throughput." }),
  ];
}

function hypervisor() {
  return [
    row("Hypervisor and memory"),
    timeseries("VM exits per second, per VM", "cps", {
      influx: [{ text: select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host", "vm"], fill: "null" }), alias: "$tag_host $tag_vm" }],
      prom: [{ expr: sumRate("vm_kvm", "exits_total", ["host", "vm"], toProm([HOST])), legend: "{{host}} {{vm}}" }],
    }, { description: "KVM exit counters of each guest (QMP query-stats), summed over its vCPUs." }),
    timeseries("VM exits per second, per host (kvm:kvm_exit)", "cps", {
      influx: [{ text: select({ from: "kvm_exits", cols: [{ field: "exits_per_s", agg: "mean" }], where: HA, byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id" }],
      prom: [{ expr: sumRate("kvm_exits", "exits_total", ["agent_id"], PHA), legend: "{{agent_id}}" }],
    }, { description: "Every VM exit on the host, counted by the kvm:kvm_exit tracepoint; empty where the tracepoint is not readable." }),
    timeseries("Memory bandwidth", "Bps", {
      influx: [{ text: select({ from: "membw", cols: ["read_bytes_per_s", "write_bytes_per_s", "total_bytes_per_s"].map((field) => ({ field, agg: "mean" as const })), where: HA, byTime: true, by: ["host", "agent_id", "source", "group"], fill: "null" }), alias: "$tag_agent_id $tag_source $tag_group $col" }],
      prom: [
        ...["read", "write"].map((d) => ({ expr: maxOf("membw", `${d}_bytes_per_s`, ["agent_id", "source", "group"], PHA), legend: legendOf(["agent_id", "source", "group"], `${d}_bytes_per_s`) })),
        { expr: sumRate("membw", "total_bytes_total", ["agent_id", "source", "group"], PHA), legend: legendOf(["agent_id", "source", "group"], "total_bytes_per_s") },
      ],
    }, { description: "uncore IMC CAS counts or resctrl MBM; empty where the host has neither (the agent says why in its capabilities)." }),
    timeseries("IPC and cache misses (host PMU)", "none", {
      influx: [
        { text: select({ from: "pmu", cols: [{ field: "ipc", agg: "mean" }], where: [{ tag: "scope", eq: "host" }, ...HA], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id ipc" },
        { text: select({ from: "pmu", cols: [{ field: "cache_miss_pct", agg: "mean" }], where: [{ tag: "scope", eq: "host" }, ...HA], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id cache misses" },
      ],
      prom: [
        { expr: maxOf("pmu", "ipc", ["agent_id"], toProm([{ tag: "scope", eq: "host" }, ...HA])), legend: "{{agent_id}} ipc" },
        { expr: maxOf("pmu", "cache_miss_pct", ["agent_id"], toProm([{ tag: "scope", eq: "host" }, ...HA]), 100), legend: "{{agent_id}} cache misses" },
      ],
    }, { overlays: [{ refId: "B", unit: "percent" }], description: "Instructions per cycle and cache misses (% of references, right axis); empty where the host has no hardware PMU (e.g. inside a VM)." }),
  ];
}

export function fleetDashboard(): DashboardSpec {
  return {
    uid: "eastwest-fleet",
    title: "eastwest / Fleet overview",
    description: "Hosts and agents, throughput, interface errors, CPU, softirqs and softnet, TCP retransmits and drops, VM exits, memory bandwidth, agent health.",
    variables: [hostVariable(), agentVariable()],
    panels: [row("Reporting"), ...stats(), ...traffic(), ...cpu(), ...tcp(), ...hypervisor(), ...fleetHealth(AGENT)],
    agentData: true,
  };
}
