// The dashboards and their committed JSON text: grafana/dashboards/<name>.json (InfluxQL) and
// <name>-prometheus.json (PromQL), both from one definition.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { buildDashboard, type DashboardSpec } from "./dashboard.ts";
import { fleetDashboard } from "./fleet.ts";
import { flowDashboard } from "./flow.ts";
import type { Lang } from "./lang.ts";
import { runDashboard } from "./run.ts";
import { vmDashboard } from "./vm.ts";

/** File name (without .json) -> dashboard definition. One line per dashboard. */
export const SPECS: ReadonlyArray<readonly [string, () => DashboardSpec]> = [
  ["fleet", fleetDashboard],
  ["vm", vmDashboard],
  ["run", runDashboard],
  ["flow", flowDashboard],
];

/** Every (file name, dashboard) pair: name.json in InfluxQL, name-prometheus.json in PromQL. */
export const DASHBOARDS: ReadonlyArray<readonly [string, () => Dashboard]> = SPECS.flatMap(([name, spec]) => [
  [name, () => buildDashboard(spec(), "influxql")] as const,
  [`${name}-prometheus`, () => buildDashboard(spec(), "promql")] as const,
]);

export function fileLang(file: string): Lang {
  return file.endsWith("-prometheus.json") ? "promql" : "influxql";
}

/** Every dashboard's file name and JSON text (2-space indent, trailing newline). */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map(([name, build]) => [`${name}.json`, `${JSON.stringify(build(), null, 2)}\n`]));
}
