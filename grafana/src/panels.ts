// Panel shapes the dashboards use, over foundation-SDK builders. A panel is defined once with its queries in both
// languages and built for one of them (PanelDef). Each language's queries get refIds A, B, ... in order; layout is
// the SDK's (panels fill rows of 24 columns). Every panel has a description and a unit.
import type { Builder, Dataquery } from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import type { DataTransformerConfig, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as BarChartPanel } from "@grafana/grafana-foundation-sdk/barchart";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { datasourceRef, type Lang } from "./lang.ts";
import { influxTarget, promTarget, type InfluxTarget, type PromTarget, type ResultFormat } from "./target.ts";

/** A panel's queries in both languages (their counts may differ: PromQL often needs one query per column). */
export interface Queries {
  influx: InfluxTarget[];
  prom: PromTarget[];
}

export type PanelDef = (lang: Lang) => Builder<Panel>;

export interface Layout {
  /** What the panel shows and how to read it. */
  description: string;
  /** Grid columns (of 24) and rows; default 12 x 8. */
  w?: number;
  h?: number;
}

export interface Overlay {
  /** The query (refId, in both languages) drawn on the right axis, with its unit. */
  refId: string;
  unit: string;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function targets(q: Queries, lang: Lang, format: ResultFormat): Array<Builder<Dataquery>> {
  const list = lang === "influxql" ? q.influx : q.prom;
  if (list.length === 0) throw new Error(`grafana: a panel has no ${lang} query`);
  if (list.length > REF_IDS.length) throw new Error("grafana: too many queries in one panel");
  return list.map((t, i) => (lang === "influxql" ? influxTarget(t as InfluxTarget, REF_IDS[i] as string, format) : promTarget(t as PromTarget, REF_IDS[i] as string, format)));
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom);
}

function place<P extends { description(d: string): P; span(w: number): P; height(h: number): P }>(p: P, o: Layout): P {
  return p.span(o.w ?? 12).height(o.h ?? 8).description(o.description);
}

/**
 * PromQL tables and bar charts: instant queries in table format, merged into one table on their labels, with each
 * query's value column named by its legend (Grafana names them "Value #<refId>").
 */
function promTable(q: Queries, lang: Lang): DataTransformerConfig[] {
  if (lang !== "promql") return [];
  const renameByName = Object.fromEntries(q.prom.map((t, i) => [`Value #${REF_IDS[i]}`, t.legend ?? `value_${i}`]));
  return [
    { id: "merge", options: {} },
    { id: "organize", options: { excludeByName: { Time: true }, renameByName } },
  ];
}

/** Lines over time; `stack` stacks the series; `overlays` put some queries on a right-hand axis. */
export function timeseries(title: string, unit: string, q: Queries, o: Layout & { stack?: boolean; overlays?: Overlay[]; points?: boolean }): PanelDef {
  for (const ov of o.overlays ?? []) {
    const i = REF_IDS.indexOf(ov.refId);
    if (!q.influx[i] || !q.prom[i]) throw new Error(`grafana: panel "${title}" has no query ${ov.refId} in both languages`);
  }
  return (lang) => {
    let p = new TimeseriesPanel().title(title).unit(unit).datasource(datasourceRef(lang)).legend(legend()).spanNulls(true);
    for (const t of targets(q, lang, "time_series")) p = p.withTarget(t);
    if (o.stack) p = p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(30);
    if (o.points) p = p.drawStyle(common.GraphDrawStyle.Points).pointSize(8);
    for (const ov of o.overlays ?? []) {
      p = p.overrideByQuery(ov.refId, [
        { id: "custom.axisPlacement", value: common.AxisPlacement.Right },
        { id: "unit", value: ov.unit },
      ]);
    }
    return place(p, o);
  };
}

/** One number per series, reduced over the range by `calc` (Grafana reducer id: lastNotNull, mean, max). */
export function stat(title: string, unit: string, q: Queries, o: Layout & { calc?: string }): PanelDef {
  return (lang) => {
    const reduce = new common.ReduceDataOptionsBuilder().calcs([o.calc ?? "lastNotNull"]).values(false);
    let p = new StatPanel().title(title).unit(unit).datasource(datasourceRef(lang)).reduceOptions(reduce).graphMode(common.BigValueGraphMode.None);
    for (const t of targets(q, lang, "time_series")) p = p.withTarget(t);
    return place(p, { w: 6, h: 4, ...o });
  };
}

/** Rows of the query in table format (tags or labels as columns); the time column is hidden. */
export function table(title: string, unit: string, q: Queries, o: Layout): PanelDef {
  return (lang) => {
    let p = new TablePanel().title(title).unit(unit).datasource(datasourceRef(lang)).overrideByName("Time", [{ id: "custom.hidden", value: true }]);
    for (const t of targets(q, lang, "table")) p = p.withTarget(t);
    for (const tr of promTable(q, lang)) p = p.withTransformation(tr);
    return place(p, { w: 24, ...o });
  };
}

/** Bars per row of a table-format query, labelled by the tag or label `xField`; `stack` stacks the numeric columns. */
export function barchart(title: string, unit: string, q: Queries, o: Layout & { xField: string; stack?: boolean }): PanelDef {
  return (lang) => {
    let p = new BarChartPanel()
      .title(title)
      .unit(unit)
      .datasource(datasourceRef(lang))
      .legend(legend())
      .xField(o.xField)
      .stacking(o.stack ? common.StackingMode.Normal : common.StackingMode.None)
      .overrideByName("Time", [{ id: "custom.hideFrom", value: { legend: true, tooltip: true, viz: true } }]);
    for (const t of targets(q, lang, "table")) p = p.withTarget(t);
    for (const tr of promTable(q, lang)) p = p.withTransformation(tr);
    return place(p, o);
  };
}
