// The two query languages the dashboards are generated in, and the data source each one's panels name:
// the dashboard's `datasource` variable (a data source of that plugin type), never a fixed uid.
import type { DataSourceRef } from "@grafana/grafana-foundation-sdk/common";

export type Lang = "influxql" | "promql";

export const LANGS: readonly Lang[] = ["influxql", "promql"];

/** Grafana plugin id of the data source a language's dashboards query. */
export const PLUGIN: Readonly<Record<Lang, string>> = { influxql: "influxdb", promql: "prometheus" };

/** The template variable every panel, variable and annotation takes its data source from. */
export const DS_VARIABLE = "datasource";

export function datasourceRef(lang: Lang): DataSourceRef {
  return { type: PLUGIN[lang], uid: `\${${DS_VARIABLE}}` };
}
