// Run and campaign breakdown: for the chosen runs (one, or a campaign's), throughput against the cost model's
// ceiling, the per-packet cost stack (copies, system calls, exits, unexplained), efficiency, and the study's
// Table-1 view of the runs. Run points are written once per run (at the end of its window); in Prometheus they
// stay exposed for the collector's prometheus.staleAfterMs, so PromQL reads their last value within the range.
import { runVariable, toProm } from "./controls.ts";
import { row, type DashboardSpec } from "./dashboard.ts";
import { select, type Agg, type Col, type Match } from "./influxql.ts";
import type { PromTarget } from "./target.ts";
import { barchart, stat, table, timeseries } from "./panels.ts";
import { label, sel, storedScale } from "./promql.ts";
import { findingsAnnotation, findingsTable } from "./findings.ts";

const RUN: Match = { tag: "run_id", variable: "run" };
const PRUN = toProm([RUN]);

function cols(agg: Agg, fields: readonly string[]): Col[] {
  return fields.map((field) => ({ field, agg }));
}

/** Each column as an instant PromQL query: its last value in the range, per label set, in the schema's unit. */
function lastCols(m: string, cs: readonly Col[], labels: readonly string[], outer?: "avg"): PromTarget[] {
  return cs.map((c) => {
    const k = Number((storedScale(m, c.field) * (c.scale ?? 1)).toPrecision(12));
    const last = `last_over_time(${sel(m, c.field, PRUN)}[$__range])`;
    const e = outer === "avg" ? `avg(${last})` : `max by (${labels.map((l) => label(m, l)).join(", ")}) (${last})`;
    return { expr: k === 1 ? e : `${k} * ${e}`, legend: c.as ?? c.field, instant: true };
  });
}

function stats() {
  const one = (m: string, c: Col, description: string) => ({ q: { influx: [{ text: select({ from: m, cols: [c], where: [RUN] }) }], prom: lastCols(m, [c], [], "avg") }, description });
  const mean = "Mean over the chosen runs.";
  const s = [
    ["Throughput (iperf3 receiver)", "bps", one("run", { field: "iperf3_receiver_bits_per_s", agg: "mean" }, `iperf3's receiver throughput. ${mean}`)],
    ["Model ceiling", "bps", one("run", { field: "ceiling_gbit_s", agg: "mean", as: "ceiling_bits_per_s", scale: 1e9 }, "Throughput the cost model allows: one 64 KiB packet per model time.")],
    ["Efficiency (% of the ceiling)", "percent", one("run", { field: "efficiency_pct", agg: "mean" }, `Measured throughput as % of the model's ceiling. ${mean}`)],
    ["Unexplained (% of measured time per packet)", "percent", one("cost_breakdown", { field: "unexplained_pct", agg: "mean" }, `Time per packet the model does not account for. ${mean}`)],
  ] as const;
  return s.map(([title, unit, x]) => stat(title, unit, x.q, { description: x.description }));
}

function breakdown() {
  const stack: Col[] = [["copies_us", "copies"], ["syscalls_us", "syscalls"], ["exits_us", "exits"], ["unexplained_us", "unexplained"]].map(([field, as]) => ({ field: field as string, agg: "last", as }));
  const tp: Col[] = [{ field: "iperf3_receiver_bits_per_s", agg: "last", as: "measured" }, { field: "netdev_receiver_bits_per_s", agg: "last", as: "netdev_receiver" }, { field: "ceiling_gbit_s", agg: "last", as: "ceiling", scale: 1e9 }];
  return [
    row("Cost model"),
    barchart("Per-packet cost stack (us per 64 KiB packet)", "µs", {
      influx: [{ text: select({ from: "cost_breakdown", cols: stack, where: [RUN], by: ["run_id"] }) }],
      prom: lastCols("cost_breakdown", stack, ["run_id"]),
    }, { xField: "run_id", stack: true, description: "copies + syscalls + exits is the model's time per packet (its ceiling); with unexplained on top, the bar is the measured time per packet." }),
    barchart("Throughput against the model's ceiling", "bps", {
      influx: [{ text: select({ from: "run", cols: tp, where: [RUN], by: ["run_id"] }) }],
      prom: lastCols("run", tp, ["run_id"]),
    }, { xField: "run_id", description: "Per run: iperf3's receiver throughput, the receiver interface's netdev throughput, and the model's ceiling." }),
    timeseries("Efficiency of the runs (% of the ceiling)", "percent", {
      influx: [{ text: select({ from: "run", cols: [{ field: "efficiency_pct" }], where: [RUN] }), alias: "efficiency" }],
      prom: [{ expr: `100 * max by (run_id) (${sel("run", "efficiency_pct", PRUN)})`, legend: "{{run_id}}" }],
    }, { w: 24, h: 6, points: true, description: "One point per run at the end of its window (InfluxDB); PromQL: the run's figure while the collector exposes it (prometheus.staleAfterMs after the run)." }),
  ];
}

function tables() {
  const table1 = ["streams", "length_bytes", "iperf3_receiver_bits_per_s", "netdev_receiver_bits_per_s", "receiver_agreement", "iperf3_retransmits", "sender_retrans_segs", "efficiency_pct", "warning_count"];
  const perPacket = ["bytes_per_packet", "copies_per_packet", "syscalls_per_packet", "exits_per_packet", "model_per_packet_us", "measured_per_packet_us", "unexplained_us", "unexplained_pct"];
  const endpoint = ["netdev_bits_per_s", "netdev_packets_per_s", "netdev_bytes_per_packet", "busy_pct", "softirq_pct", "system_pct", "steal_pct", "iperf3_cpu_pct", "retrans_segs"];
  const constants = ["const_packet_bytes", "const_copies", "const_copy_us", "const_copy_bytes_per_s", "const_syscalls", "const_syscall_us", "const_exits", "const_exit_us"];
  const t = (m: string, fields: string[], by: string[]) => ({ influx: [{ text: select({ from: m, cols: cols("last", fields), where: [RUN], by }) }], prom: lastCols(m, cols("last", fields), by) });
  return [
    row("Runs"),
    table("Table 1: runs", "none", t("run", table1, ["run_id", "congestion", "direction", "protocol"]), { description: "One row per run, as in the study's Table 1: settings, throughput (iperf3 and netdev, bits/s), retransmits, efficiency (%)." }),
    table("Per-packet figures and their sources", "none", t("cost_breakdown", perPacket, ["run_id", "copies_source", "syscalls_source", "exits_source", "fit"]), { description: "*_source: observed | derived | model | none; fit: remainder | over_predicts | unmeasured. Times in us, unexplained_pct in %." }),
    table("Run endpoints", "none", t("run_endpoint", endpoint, ["run_id", "agent_id", "side", "role", "interface"]), { description: "Each end of each run over its window: netdev rate and packet size on the run's interface, mean CPU (%), iperf3's own CPU (%), RetransSegs delta." }),
    table("Model constants", "none", t("cost_breakdown", constants, ["run_id", "model_version"]), { h: 6, description: "The constants each breakdown used (calibrated on the host, or the paper's defaults)." }),
  ];
}

export function runDashboard(): DashboardSpec {
  return {
    uid: "eastwest-run",
    title: "eastwest / Runs and campaigns",
    description: "Per-packet cost stack against the model's ceiling, efficiency, a Table-1 view and the diagnosis (findings) of the chosen runs.",
    variables: [runVariable(true)],
    panels: [row("Summary"), ...stats(), row("Diagnosis"), findingsTable(), ...breakdown(), ...tables()],
    annotations: [findingsAnnotation],
    from: "now-7d",
  };
}
