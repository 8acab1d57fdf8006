// The dashboards and their committed JSON text (grafana/dashboards/<name>.json).
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { fleetDashboard } from "./fleet.ts";
import { flowDashboard } from "./flow.ts";
import { runDashboard } from "./run.ts";
import { vmDashboard } from "./vm.ts";

/** File name (without .json) -> dashboard. One line per dashboard. */
export const DASHBOARDS: ReadonlyArray<readonly [string, () => Dashboard]> = [
  ["fleet", fleetDashboard],
  ["vm", vmDashboard],
  ["run", runDashboard],
  ["flow", flowDashboard],
];

/** Every dashboard's file name and JSON text (2-space indent, trailing newline). */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map(([name, build]) => [`${name}.json`, `${JSON.stringify(build(), null, 2)}\n`]));
}
