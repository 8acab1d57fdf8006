// Run and campaign breakdown: for the chosen runs (one, or a campaign's), throughput against
// the cost model's ceiling, the per-packet cost stack (copies, system calls, exits, unexplained),
// efficiency, and the study's Table-1 view of the runs.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { runVariable } from "./controls.ts";
import { buildDashboard } from "./dashboard.ts";
import { select, type Agg, type Col, type Match } from "./influxql.ts";
import { barchart, stat, table, timeseries } from "./panels.ts";

const RUN: Match = { tag: "run_id", variable: "run" };

function cols(agg: Agg, fields: readonly string[]): Col[] {
  return fields.map((field) => ({ field, agg }));
}

function stats() {
  const one = (from: string, c: Col) => ({ text: select({ from, cols: [c], where: [RUN] }) });
  const mean = "mean over the chosen runs";
  return [
    stat("Throughput (iperf3 receiver)", "bps", one("run", { field: "iperf3_receiver_bits_per_s", agg: "mean" }), { description: mean }),
    stat("Model ceiling", "bps", one("run", { field: "ceiling_gbit_s", agg: "mean", as: "ceiling_bits_per_s", scale: 1e9 }), { description: "Throughput the cost model allows: one 64 KiB packet per model time." }),
    stat("Efficiency (% of the ceiling)", "percent", one("run", { field: "efficiency_pct", agg: "mean" }), { description: mean }),
    stat("Unexplained (% of measured time per packet)", "percent", one("cost_breakdown", { field: "unexplained_pct", agg: "mean" }), { description: mean }),
  ];
}

function breakdown() {
  return [
    barchart("Per-packet cost stack (us per 64 KiB packet)", "µs", {
      text: select({ from: "cost_breakdown", cols: [
        { field: "copies_us", agg: "last", as: "copies" },
        { field: "syscalls_us", agg: "last", as: "syscalls" },
        { field: "exits_us", agg: "last", as: "exits" },
        { field: "unexplained_us", agg: "last", as: "unexplained" },
      ], where: [RUN], by: ["run_id"] }),
    }, {
      xField: "run_id",
      stack: true,
      description: "copies + syscalls + exits is the model's time per packet (its ceiling); with unexplained on top, the bar is the measured time per packet.",
    }),
    barchart("Throughput against the model's ceiling", "bps", {
      text: select({ from: "run", cols: [
        { field: "iperf3_receiver_bits_per_s", agg: "last", as: "measured" },
        { field: "netdev_receiver_bits_per_s", agg: "last", as: "netdev_receiver" },
        { field: "ceiling_gbit_s", agg: "last", as: "ceiling", scale: 1e9 },
      ], where: [RUN], by: ["run_id"] }),
    }, { xField: "run_id" }),
    timeseries("Efficiency of the runs (% of the ceiling)", "percent", [{
      text: select({ from: "run", cols: [{ field: "efficiency_pct" }], where: [RUN] }),
      alias: "efficiency",
    }], { w: 24, h: 6, points: true }),
  ];
}

function tables() {
  const table1 = ["streams", "length_bytes", "iperf3_receiver_bits_per_s", "netdev_receiver_bits_per_s", "receiver_agreement", "iperf3_retransmits", "sender_retrans_segs", "efficiency_pct", "warning_count"];
  const perPacket = ["bytes_per_packet", "copies_per_packet", "syscalls_per_packet", "exits_per_packet", "model_per_packet_us", "measured_per_packet_us", "unexplained_us", "unexplained_pct"];
  const endpoint = ["netdev_bits_per_s", "netdev_packets_per_s", "netdev_bytes_per_packet", "busy_pct", "softirq_pct", "system_pct", "steal_pct", "iperf3_cpu_pct", "retrans_segs"];
  const constants = ["const_packet_bytes", "const_copies", "const_copy_us", "const_copy_bytes_per_s", "const_syscalls", "const_syscall_us", "const_exits", "const_exit_us"];
  return [
    table("Table 1: runs", { text: select({ from: "run", cols: cols("last", table1), where: [RUN], by: ["run_id", "congestion", "direction", "protocol"] }) }, {
      description: "One row per run, as in the study's Table 1: settings, throughput (iperf3 and netdev), retransmits, efficiency.",
    }),
    table("Per-packet figures and their sources", { text: select({ from: "cost_breakdown", cols: cols("last", perPacket), where: [RUN], by: ["run_id", "copies_source", "syscalls_source", "exits_source", "fit"] }) }, {
      description: "*_source: observed | derived | model | none; fit: remainder | over_predicts | unmeasured.",
    }),
    table("Run endpoints", { text: select({ from: "run_endpoint", cols: cols("last", endpoint), where: [RUN], by: ["run_id", "agent_id", "side", "role", "interface"] }) }),
    table("Model constants", { text: select({ from: "cost_breakdown", cols: cols("last", constants), where: [RUN], by: ["run_id", "model_version"] }) }, { h: 6 }),
  ];
}

export function runDashboard(): Dashboard {
  return buildDashboard({
    uid: "eastwest-run",
    title: "eastwest / Runs and campaigns",
    description: "Per-packet cost stack against the model's ceiling, efficiency and a Table-1 view of the chosen runs.",
    variables: [runVariable(true)],
    panels: [...stats(), ...breakdown(), ...tables()],
    from: "now-7d",
  });
}
