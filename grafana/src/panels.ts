// Panel shapes the dashboards use, over foundation-SDK builders. Each panel's queries
// get refIds A, B, ... in order; layout is the SDK's (panels fill rows of 24 columns).
import * as common from "@grafana/grafana-foundation-sdk/common";
import { PanelBuilder as BarChartPanel } from "@grafana/grafana-foundation-sdk/barchart";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE, InfluxQLBuilder, type ResultFormat } from "./target.ts";

export interface Query {
  text: string;
  /** Series name pattern, e.g. "$tag_host $tag_interface $col". */
  alias?: string;
}

export interface Layout {
  description?: string;
  /** Grid columns (of 24) and rows; default 12 x 8. */
  w?: number;
  h?: number;
}

export interface Overlay {
  /** The query (refId) drawn on the right axis, with its unit. */
  refId: string;
  unit: string;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function targets(qs: readonly Query[], format: ResultFormat): InfluxQLBuilder[] {
  if (qs.length > REF_IDS.length) throw new Error("grafana: too many queries in one panel");
  return qs.map((q, i) => {
    const t = new InfluxQLBuilder(q.text).refId(REF_IDS[i] as string).format(format);
    return q.alias === undefined ? t : t.alias(q.alias);
  });
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom);
}

function place<P extends { description(d: string): P; span(w: number): P; height(h: number): P }>(p: P, o: Layout): P {
  const placed = p.span(o.w ?? 12).height(o.h ?? 8);
  return o.description === undefined ? placed : placed.description(o.description);
}

/** Lines over time; `stack` stacks the series; `overlays` put some queries on a right-hand axis. */
export function timeseries(title: string, unit: string, qs: Query[], o: Layout & { stack?: boolean; overlays?: Overlay[]; points?: boolean } = {}): TimeseriesPanel {
  let p = new TimeseriesPanel().title(title).unit(unit).datasource(DATASOURCE).legend(legend()).spanNulls(true);
  for (const t of targets(qs, "time_series")) p = p.withTarget(t);
  if (o.stack) p = p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(30);
  if (o.points) p = p.drawStyle(common.GraphDrawStyle.Points).pointSize(8);
  for (const ov of o.overlays ?? []) {
    if (!qs[REF_IDS.indexOf(ov.refId)]) throw new Error(`grafana: panel "${title}" has no query ${ov.refId}`);
    p = p.overrideByQuery(ov.refId, [
      { id: "custom.axisPlacement", value: common.AxisPlacement.Right },
      { id: "unit", value: ov.unit },
    ]);
  }
  return place(p, o);
}

/** One number per series, reduced over the range by `calc` (Grafana reducer id: lastNotNull, mean, max). */
export function stat(title: string, unit: string, q: Query, o: Layout & { calc?: string } = {}): StatPanel {
  const reduce = new common.ReduceDataOptionsBuilder().calcs([o.calc ?? "lastNotNull"]).values(false);
  let p = new StatPanel().title(title).unit(unit).datasource(DATASOURCE).reduceOptions(reduce).graphMode(common.BigValueGraphMode.None);
  for (const t of targets([q], "time_series")) p = p.withTarget(t);
  return place(p, { w: 6, h: 4, ...o });
}

/** Rows of the query in table format (tags as columns); InfluxQL's time column is hidden. */
export function table(title: string, q: Query, o: Layout = {}): TablePanel {
  let p = new TablePanel().title(title).datasource(DATASOURCE).overrideByName("Time", [{ id: "custom.hidden", value: true }]);
  for (const t of targets([q], "table")) p = p.withTarget(t);
  return place(p, { w: 24, ...o });
}

/** Bars per row of a table-format query, labelled by the tag `xField`; `stack` stacks the numeric columns. */
export function barchart(title: string, unit: string, q: Query, o: Layout & { xField: string; stack?: boolean }): BarChartPanel {
  let p = new BarChartPanel()
    .title(title)
    .unit(unit)
    .datasource(DATASOURCE)
    .legend(legend())
    .xField(o.xField)
    .stacking(o.stack ? common.StackingMode.Normal : common.StackingMode.None)
    .overrideByName("Time", [{ id: "custom.hideFrom", value: { legend: true, tooltip: true, viz: true } }]);
  for (const t of targets([q], "table")) p = p.withTarget(t);
  return place(p, o);
}
