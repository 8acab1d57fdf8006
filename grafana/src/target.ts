// Panel targets in both languages. InfluxQL: Grafana's InfluxDB data source query in raw mode, as a
// foundation-SDK builder (the SDK ships no InfluxDB query type; cog's Dataquery is its extension point); field
// names follow Grafana's InfluxQuery: query, rawQuery, resultFormat, alias; annotations add fromAnnotations and
// the column mappings. PromQL: the SDK's Prometheus query builder in code mode.
import type { Builder, Dataquery } from "@grafana/grafana-foundation-sdk/cog";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { datasourceRef } from "./lang.ts";

export type ResultFormat = "time_series" | "table";

export interface InfluxQLQuery extends Dataquery {
  refId?: string;
  datasource: { type?: string; uid?: string };
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** Series name pattern: $tag_<key>, $col, $m. */
  alias?: string;
  fromAnnotations?: boolean;
  textColumn?: string;
  tagsColumn?: string;
  titleColumn?: string;
  timeEndColumn?: string;
}

export class InfluxQLBuilder implements Builder<Dataquery> {
  readonly #q: InfluxQLQuery;

  constructor(query: string) {
    this.#q = { datasource: datasourceRef("influxql"), query, rawQuery: true, resultFormat: "time_series", _implementsDataqueryVariant() {} };
  }

  build(): InfluxQLQuery {
    return this.#q;
  }

  refId(refId: string): this {
    this.#q.refId = refId;
    return this;
  }

  format(format: ResultFormat): this {
    this.#q.resultFormat = format;
    return this;
  }

  alias(alias: string): this {
    this.#q.alias = alias;
    return this;
  }

  /** Marks the query as an annotation query with its column mappings (tags: comma-separated columns; timeEnd: epoch ms). */
  annotation(m: { text: string; tags: readonly string[]; title?: string; timeEnd?: string }): this {
    Object.assign(this.#q, { fromAnnotations: true, textColumn: m.text, tagsColumn: m.tags.join(","), titleColumn: m.title ?? "", timeEndColumn: m.timeEnd ?? "" });
    return this;
  }
}

/** One InfluxQL target of a panel. */
export interface InfluxTarget {
  text: string;
  /** Series name pattern, e.g. "$tag_host $tag_interface $col". */
  alias?: string;
}

/** One PromQL target of a panel. */
export interface PromTarget {
  expr: string;
  /** Legend, e.g. "{{agent_id}} {{interface}} rx". */
  legend?: string;
  /** One value per series at the range's end (stat, table and bar panels) instead of a range query. */
  instant?: boolean;
}

export function promTarget(t: PromTarget, refId: string, format: ResultFormat): prometheus.DataqueryBuilder {
  let b = new prometheus.DataqueryBuilder()
    .datasource(datasourceRef("promql"))
    .refId(refId)
    .expr(t.expr)
    .editorMode(prometheus.QueryEditorMode.Code)
    .format(format === "table" ? prometheus.PromQueryFormat.Table : prometheus.PromQueryFormat.TimeSeries);
  b = t.instant ? b.instant() : b.range();
  return t.legend === undefined ? b : b.legendFormat(t.legend);
}

export function influxTarget(t: InfluxTarget, refId: string, format: ResultFormat): InfluxQLBuilder {
  const b = new InfluxQLBuilder(t.text).refId(refId).format(format);
  return t.alias === undefined ? b : b.alias(t.alias);
}
