// Fleet overview: which hosts and agents report, what the hosts move and what it costs them
// (CPU, softirqs, VM exits, memory bandwidth, PMU), and whether the agents are healthy.
import { agentVariable, hostVariable } from "./controls.ts";
import { buildDashboard } from "./dashboard.ts";
import { rollup, select, type Match } from "./influxql.ts";
import { stat, table, timeseries } from "./panels.ts";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";

const HOST: Match = { tag: "host", variable: "host" };
const AGENT: Match = { tag: "agent_id", variable: "agent" };
const CPU_ALL: Match = { tag: "cpu", eq: "all" };

/** A count of distinct tag values among series seen in the range. */
function countOf(from: string, field: string, key: string, as: string, where: Match[]): string {
  return rollup({ from, cols: [{ field, agg: "last", as }], where, by: [key] }, { agg: "count" });
}

function stats() {
  return [
    stat("Hosts reporting", "none", { text: countOf("cpu", "busy_pct", "host", "hosts", [CPU_ALL, HOST]) }),
    stat("Agents reporting", "none", { text: countOf("cpu", "busy_pct", "agent_id", "agents", [CPU_ALL, HOST, AGENT]) }),
    stat("VMs", "none", { text: countOf("vm_info", "vcpus", "vm_uuid", "vms", [HOST]) }, { description: "QEMU guests the host agents found (vm sampler)." }),
    stat("Points dropped by agents", "none", {
      text: rollup({ from: "eastwest_agent", cols: [{ field: "dropped_points_total", agg: "last" }], where: [AGENT], by: ["agent_id"] }, { agg: "sum" }),
    }, { description: "Points agents dropped because their outbox overflowed, summed over the chosen agents." }),
  ];
}

function traffic() {
  const by = ["host", "agent_id", "interface"];
  return [
    timeseries("Throughput per interface", "bps", [{
      text: select({ from: "netdev", cols: [{ field: "rx_bytes_per_s", agg: "mean", as: "rx_bits_per_s", scale: 8 }, { field: "tx_bytes_per_s", agg: "mean", as: "tx_bits_per_s", scale: 8 }], where: [HOST, AGENT], byTime: true, by, fill: "null" }),
      alias: "$tag_agent_id $tag_interface $col",
    }]),
    timeseries("Packets per interface", "pps", [{
      text: select({ from: "netdev", cols: [{ field: "rx_packets_per_s", agg: "mean" }, { field: "tx_packets_per_s", agg: "mean" }], where: [HOST, AGENT], byTime: true, by, fill: "null" }),
      alias: "$tag_agent_id $tag_interface $col",
    }]),
  ];
}

function cpu() {
  const cols = ["busy_pct", "softirq_pct", "system_pct", "steal_pct", "guest_pct"].map((field) => ({ field, agg: "mean" as const }));
  const perCpu = { from: "softirqs", cols: [{ field: "net_rx_per_s", agg: "mean" as const }, { field: "net_tx_per_s", agg: "mean" as const }], where: [HOST, AGENT], byTime: true, by: ["host", "agent_id", "cpu"] };
  return [
    timeseries("CPU: busy, softirq, system, steal, guest (all CPUs)", "percent", [{
      text: select({ from: "cpu", cols, where: [CPU_ALL, HOST, AGENT], byTime: true, by: ["host", "agent_id"], fill: "null" }),
      alias: "$tag_agent_id $col",
    }]),
    timeseries("NET_RX / NET_TX softirqs per second (sum of CPUs)", "cps", [{
      text: rollup(perCpu, { agg: "sum", byTime: true, by: ["host", "agent_id"], fill: "null" }),
      alias: "$tag_agent_id $col",
    }]),
  ];
}

function hypervisor() {
  return [
    timeseries("VM exits per second, per VM", "cps", [{
      text: select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean" }], where: [HOST], byTime: true, by: ["host", "vm"], fill: "null" }),
      alias: "$tag_host $tag_vm",
    }], { description: "KVM exit counters of each guest (QMP query-stats), summed over its vCPUs." }),
    timeseries("VM exits per second, per host (kvm:kvm_exit)", "cps", [{
      text: select({ from: "kvm_exits", cols: [{ field: "exits_per_s", agg: "mean" }], where: [HOST, AGENT], byTime: true, by: ["host", "agent_id"], fill: "null" }),
      alias: "$tag_agent_id",
    }]),
    timeseries("Memory bandwidth", "Bps", [{
      text: select({ from: "membw", cols: ["read_bytes_per_s", "write_bytes_per_s", "total_bytes_per_s"].map((field) => ({ field, agg: "mean" as const })), where: [HOST, AGENT], byTime: true, by: ["host", "agent_id", "source", "group"], fill: "null" }),
      alias: "$tag_agent_id $tag_source $tag_group $col",
    }], { description: "uncore IMC CAS counts or resctrl MBM; empty where the host has neither (the agent says why in its capabilities)." }),
    timeseries("IPC and cache misses (host PMU)", "none", [
      { text: select({ from: "pmu", cols: [{ field: "ipc", agg: "mean" }], where: [{ tag: "scope", eq: "host" }, HOST, AGENT], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id ipc" },
      { text: select({ from: "pmu", cols: [{ field: "cache_miss_pct", agg: "mean" }], where: [{ tag: "scope", eq: "host" }, HOST, AGENT], byTime: true, by: ["host", "agent_id"], fill: "null" }), alias: "$tag_agent_id cache misses" },
    ], { overlays: [{ refId: "B", unit: "percent" }], description: "Empty where the host has no hardware PMU (e.g. inside a VM)." }),
  ];
}

function health() {
  const sampler = ["up", "duration_ns", "ticks_total", "errors_total", "points_total", "interval_ms"].map((field) => ({ field, agg: "last" as const }));
  return [
    table("Samplers (since the last report: slowest tick, any failure; totals)", { text: select({ from: "eastwest_sampler", cols: sampler, where: [AGENT], by: ["agent_id", "sampler"] }) }, { h: 9 }),
    table("Agents (connected, under SCHED_IDLE, holding samples for a run, resident memory)", {
      text: select({ from: "eastwest_agent", cols: ["connected", "sched_idle", "holding", "held_bytes", "rss_bytes"].map((field) => ({ field, agg: "last" as const })), where: [AGENT], by: ["agent_id"] }),
    }, { h: 6, description: "sched_idle false on an agent configured idle: it lacks CAP_SYS_NICE (its log says so). holding: a run holds its samples (they arrive when the traffic is over); held_bytes: what it keeps meanwhile." }),
    timeseries("Agent outbox: buffered and dropped points", "short", [{
      text: select({ from: "eastwest_agent", cols: ["buffered_points", "dropped_points_total", "resent_batches_total"].map((field) => ({ field, agg: "last" as const })), where: [AGENT], byTime: true, by: ["agent_id"], fill: "null" }),
      alias: "$tag_agent_id $col",
    }], { w: 24 }),
  ];
}

export function fleetDashboard(): Dashboard {
  return buildDashboard({
    uid: "eastwest-fleet",
    title: "eastwest / Fleet overview",
    description: "Hosts and agents, throughput, CPU and softirqs, VM exits, memory bandwidth, agent health.",
    variables: [hostVariable(), agentVariable()],
    panels: [...stats(), ...traffic(), ...cpu(), ...hypervisor(), ...health()],
  });
}
