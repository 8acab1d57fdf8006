// Grafana's InfluxDB data source query in InfluxQL raw mode, as a foundation-SDK
// builder (the SDK ships no InfluxDB query type; cog's Dataquery is its extension point).
// Field names follow Grafana's InfluxQuery: query, rawQuery, resultFormat, alias;
// annotations add fromAnnotations and the column mappings.
import type { Builder, Dataquery } from "@grafana/grafana-foundation-sdk/cog";

/** The data source every panel uses; grafana/provisioning/datasources/eastwest.yaml provisions it under this uid. */
export const DATASOURCE = { type: "influxdb", uid: "eastwest-influxdb" } as const;

export type ResultFormat = "time_series" | "table";

export interface InfluxQLQuery extends Dataquery {
  refId?: string;
  datasource: { type: string; uid: string };
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** Series name pattern: $tag_<key>, $col, $m. */
  alias?: string;
  fromAnnotations?: boolean;
  textColumn?: string;
  tagsColumn?: string;
  titleColumn?: string;
}

export class InfluxQLBuilder implements Builder<Dataquery> {
  readonly #q: InfluxQLQuery;

  constructor(query: string) {
    this.#q = { datasource: { ...DATASOURCE }, query, rawQuery: true, resultFormat: "time_series", _implementsDataqueryVariant() {} };
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

  /** Marks the query as an annotation query with its column mappings (tags: comma-separated columns). */
  annotation(m: { text: string; tags: readonly string[]; title?: string }): this {
    Object.assign(this.#q, { fromAnnotations: true, textColumn: m.text, tagsColumn: m.tags.join(","), titleColumn: m.title ?? "" });
    return this;
  }
}
