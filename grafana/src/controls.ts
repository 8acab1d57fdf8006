// Template variables (data source, scrape job, host, agent, vm, run) and the annotations shared by the dashboards,
// in both languages. InfluxQL variables are SHOW TAG VALUES queries, PromQL ones label_values(); chained ones
// filter on the variable above them.
import { AnnotationQueryBuilder, DatasourceVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort, type AnnotationQuery, type VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Builder } from "@grafana/grafana-foundation-sdk/cog";
import { select, tagValues, type Match } from "./influxql.ts";
import { datasourceRef, DS_VARIABLE, PLUGIN, type Lang } from "./lang.ts";
import { by, metric, sel, type PMatch } from "./promql.ts";
import { InfluxQLBuilder } from "./target.ts";

export type VariableDef = (lang: Lang) => Builder<VariableModel>;

export interface VariableOpts {
  /** Several values (and "All") may be chosen; queries match them with =~ either way. */
  multi?: boolean;
  sort?: boolean;
}

/** The same condition on an InfluxQL tag and a Prometheus label (they share names). */
export function toProm(where: readonly Match[]): PMatch[] {
  return where.map((m) => ("eq" in m ? { label: m.tag, eq: m.eq } : "regex" in m ? { label: m.tag, regex: m.regex } : { label: m.tag, variable: m.variable }));
}

/** The data source: any of the language's plugin type (InfluxDB or Prometheus); every query names it. */
export const datasourceVariable: VariableDef = (lang) =>
  new DatasourceVariableBuilder(DS_VARIABLE).label(lang === "influxql" ? "InfluxDB" : "Prometheus").type(PLUGIN[lang]).regex("").multi(false).includeAll(false);

/**
 * A variable over the values of one tag (label) of one measurement; `field` names the metric PromQL reads the
 * label from (label_values(metric{...}, key)).
 */
export function tagVariable(name: string, text: string, from: { m: string; field: string }, key: string, where: Match[] = [], o: VariableOpts = {}): VariableDef {
  return (lang) => {
    const q = lang === "influxql" ? tagValues(from.m, key, where) : `label_values(${sel(from.m, from.field, toProm(where))}, ${key})`;
    return new QueryVariableBuilder(name)
      .label(text)
      .datasource(datasourceRef(lang))
      .query(q)
      .definition(q)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(o.sort === false ? VariableSort.Disabled : VariableSort.AlphabeticalAsc)
      .multi(o.multi ?? false)
      .includeAll(o.multi ?? false);
  };
}

/** PromQL only: the scrape job that carries the agents' series (the collector's /metrics, or the agents' own). */
export const jobVariable: VariableDef = (lang) => {
  const q = `label_values(${metric("cpu", "busy_pct")}, job)`;
  return new QueryVariableBuilder("job").label("Scrape job").datasource(datasourceRef(lang)).query(q).definition(q).refresh(VariableRefresh.OnTimeRangeChanged).sort(VariableSort.AlphabeticalAsc).multi(false).includeAll(false);
};

const CPU = { m: "cpu", field: "busy_pct" };

/** Hosts (the agents' host tag), from the cpu measurement every agent writes. */
export const hostVariable = (): VariableDef => tagVariable("host", "Host", CPU, "host", [], { multi: true });

/** Agents on the chosen hosts. */
export const agentVariable = (): VariableDef => tagVariable("agent", "Agent", CPU, "agent_id", [{ tag: "host", variable: "host" }], { multi: true });

/** QEMU guests found by host agents on the chosen hosts. */
export const vmVariable = (): VariableDef => tagVariable("vm", "VM", { m: "vm_info", field: "vcpus" }, "vm", [{ tag: "host", variable: "host" }], { multi: true });

/** Correlated runs; several make a campaign's view. */
export const runVariable = (multi: boolean): VariableDef => tagVariable("run", "Run", { m: "run", field: "window_s" }, "run_id", [], { multi, sort: false });

const RUN_TAGS = ["server_agent_id", "client_agent_id"];

/**
 * Runs as regions on the time axis, start to end of the traffic. InfluxQL: the run_window point at the window's
 * start with its end (end_timestamp_ms) as the region's end. PromQL: run_window's running gauge, 1 from the
 * traffic's start to its end (the collector writes it live); Grafana joins consecutive samples into a region.
 */
export function runAnnotation(lang: Lang): Builder<AnnotationQuery> {
  const a = new AnnotationQueryBuilder().name("Runs (traffic window)").datasource(datasourceRef(lang)).enable(true).iconColor("purple");
  if (lang === "influxql") {
    const q = select({ from: "run_window", cols: [{ field: "end_timestamp_ms" }], tagCols: ["run_id", ...RUN_TAGS] });
    return a.target(new InfluxQLBuilder(q).refId("Anno").annotation({ text: "run_id", tags: RUN_TAGS, timeEnd: "end_timestamp_ms" }));
  }
  return a
    .expr(`${by("max", "run_window", ["run_id", ...RUN_TAGS], sel("run_window", "running"))} > 0`)
    .titleFormat("run {{run_id}}")
    .textFormat("{{client_agent_id}} → {{server_agent_id}}")
    .tagKeys(RUN_TAGS.join(","))
    .step("5s")
    .useValueForTime(false);
}
