// The fleet dashboard's agent-health row: samplers' last report, agents' state, the agents' outboxes.
import { toProm } from "./controls.ts";
import { row } from "./dashboard.ts";
import { select, type Match } from "./influxql.ts";
import { table, timeseries } from "./panels.ts";
import { maxOf } from "./promql.ts";

/** Instant PromQL columns of a table: the latest value of each field per label set, named by the column. */
function promColumns(m: string, fields: ReadonlyArray<readonly [string, string]>, labels: readonly string[], where: Match[]) {
  return fields.map(([field, as]) => ({ expr: maxOf(m, field, labels, toProm(where)), legend: as, instant: true }));
}

export function fleetHealth(agent: Match) {
  const sampler = ["up", "duration_ns", "ticks_total", "errors_total", "points_total", "interval_ms"];
  const samplerProm: Array<[string, string]> = [["up", "up"], ["duration_ns", "duration_s"], ["ticks_total", "ticks_total"], ["errors_total", "errors_total"], ["points_total", "points_total"], ["interval_ms", "interval_s"]];
  const agentFields = ["connected", "sched_idle", "holding", "held_bytes", "rss_bytes"];
  const outbox = ["buffered_points", "dropped_points_total", "resent_batches_total"];
  return [
    row("Agent health"),
    table("Samplers (since the last report: slowest tick, any failure; totals)", "none", {
      influx: [{ text: select({ from: "eastwest_sampler", cols: sampler.map((field) => ({ field, agg: "last" as const })), where: [agent], by: ["agent_id", "sampler"] }) }],
      prom: promColumns("eastwest_sampler", samplerProm, ["agent_id", "sampler"], [agent]),
    }, { h: 9, description: "One row per sampler per agent: up (no tick failed since the previous report), the slowest tick's duration, running totals, the interval. A sampler whose source is missing reports up with zero points and says why in the agent's capabilities." }),
    table("Agents (connected, under SCHED_IDLE, holding samples for a run, resident memory)", "none", {
      influx: [{ text: select({ from: "eastwest_agent", cols: agentFields.map((field) => ({ field, agg: "last" as const })), where: [agent], by: ["agent_id"] }) }],
      prom: promColumns("eastwest_agent", agentFields.map((f) => [f, f] as const), ["agent_id"], [agent]),
    }, { h: 6, description: "sched_idle false on an agent configured idle: it lacks CAP_SYS_NICE (its log says so). holding: a run holds its samples (they arrive when the traffic is over); held_bytes: what it keeps meanwhile." }),
    timeseries("Agent outbox: buffered and dropped points", "short", {
      influx: [{ text: select({ from: "eastwest_agent", cols: outbox.map((field) => ({ field, agg: "last" as const })), where: [agent], byTime: true, by: ["agent_id"], fill: "null" }), alias: "$tag_agent_id $col" }],
      prom: outbox.map((f) => ({ expr: maxOf("eastwest_agent", f, ["agent_id"], toProm([agent])), legend: `{{agent_id}} ${f}` })),
    }, { w: 24, description: "Points waiting in each agent's outbox for the collector's ack, and running totals of points dropped on overflow and batches resent." }),
  ];
}
