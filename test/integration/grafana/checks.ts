// Runs a generated dashboard's queries the way Grafana would, for the live tests: PromQL against a real
// Prometheus, InfluxQL against a real influxd. Each returns the problems found and the targets that returned no
// data because their source is missing here (named by the metrics or measurements they lack).
import type { Influxd } from "../../helpers/tsdb.ts";
import { expand, expectedColumns, measurementsOf, targetsOf, variablesOf, type Chosen, type Range } from "./expand.ts";
import { expandProm, labelValuesQuery, metricsOf, promTargetsOf, promVariablesOf, type PromChosen, type PromRange } from "./expand-prom.ts";
import { promQuery } from "./live.ts";

export interface Outcome {
  problems: string[];
  /** "<panel> [<refId>]: <what is missing>" */
  empty: string[];
}

type Json = Parameters<typeof promTargetsOf>[0] & Parameters<typeof targetsOf>[0];

export interface PromCtx {
  base: string;
  fromS: number;
  toS: number;
  scrapeS: number;
  /** Metric names Prometheus holds. */
  present: ReadonlySet<string>;
  /** Variable -> the value to pick (else every value, as "All"). */
  preferred: Record<string, string>;
}

export async function promVariables(json: Json, c: PromCtx): Promise<PromChosen> {
  const chosen: PromChosen = new Map();
  const r: PromRange = { intervalS: c.scrapeS, scrapeS: c.scrapeS, rangeS: c.toS - c.fromS };
  for (const v of promVariablesOf(json)) {
    const { selector, label } = labelValuesQuery(v.query);
    const res = await promQuery(c.base, `/api/v1/label/${label}/values`, { "match[]": expandProm(selector, r, chosen), start: String(c.fromS), end: String(c.toS) });
    const values = (res.data as unknown as string[]) ?? [];
    if (values.length === 0) throw new Error(`variable ${v.name} has no values: ${v.query}`);
    const want = c.preferred[v.name];
    if (want !== undefined && !values.includes(want)) throw new Error(`variable ${v.name} does not offer ${want}: ${values.join(", ")}`);
    chosen.set(v.name, { values: want !== undefined ? [want] : v.multi ? values : values.slice(0, 1), variable: v });
  }
  return chosen;
}

/** Every panel and annotation query of a PromQL dashboard; `allowedMissing` tells which absent metrics are expected here. */
export async function checkProm(json: Json, c: PromCtx, allowedMissing: (metric: string) => boolean): Promise<Outcome> {
  const chosen = await promVariables(json, c);
  const out: Outcome = { problems: [], empty: [] };
  for (const t of promTargetsOf(json)) {
    const anno = t.refId === "Anno";
    const stepS = anno ? 5 : c.scrapeS;
    const expr = expandProm(t.expr, { intervalS: stepS, scrapeS: c.scrapeS, rangeS: c.toS - c.fromS }, chosen);
    const res = t.instant
      ? await promQuery(c.base, "/api/v1/query", { query: expr, time: String(c.toS) })
      : await promQuery(c.base, "/api/v1/query_range", { query: expr, start: String(c.fromS), end: String(c.toS), step: `${stepS}s` });
    const where = `${t.panel} [${t.refId}]`;
    if (res.status !== "success") {
      out.problems.push(`${where}: ${res.error}: ${expr}`);
      continue;
    }
    const missing = metricsOf(expr).filter((m) => !c.present.has(m));
    const n = res.data.result.length;
    if (missing.length === 0 && n === 0) out.problems.push(`${where}: no series: ${expr}`);
    if (missing.length > 0) {
      const unexpected = missing.filter((m) => !allowedMissing(m));
      if (unexpected.length > 0) out.problems.push(`${where}: metrics missing that this machine should have: ${unexpected.join(", ")}`);
      if (n === 0) out.empty.push(`${where}: no ${missing.join(", ")}`);
    }
  }
  return out;
}

export interface InfluxCtx {
  influx: Influxd;
  db: string;
  range: Range;
  preferred: Record<string, string>;
  has: (measurement: string) => boolean;
}

async function influxVariables(json: Json, c: InfluxCtx): Promise<Chosen> {
  const chosen: Chosen = new Map();
  for (const v of variablesOf(json)) {
    const series = (await c.influx.query(expand(v.query, c.range, chosen), c.db)).series;
    const values = series.flatMap((s) => s.values.map((row) => String(row[1])));
    if (values.length === 0) throw new Error(`variable ${v.name} has no values: ${v.query}`);
    const want = c.preferred[v.name];
    if (want !== undefined && !values.includes(want)) throw new Error(`variable ${v.name} does not offer ${want}: ${values.join(", ")}`);
    chosen.set(v.name, { values: want !== undefined ? [want] : values, variable: v });
  }
  return chosen;
}

/** Every panel and annotation query of an InfluxQL dashboard: series with the selected columns, or none where the source is missing. */
export async function checkInflux(json: Json, c: InfluxCtx): Promise<Outcome> {
  const chosen = await influxVariables(json, c);
  const out: Outcome = { problems: [], empty: [] };
  for (const t of targetsOf(json)) {
    const q = expand(t.query, c.range, chosen);
    const where = `${t.panel} [${t.refId}]`;
    const series = await c.influx.query(q, c.db).then((r) => r.series, (err: Error) => (out.problems.push(`${where}: ${err.message}`), undefined));
    if (series === undefined) continue;
    const missing = measurementsOf(q).filter((m) => !c.has(m));
    if (missing.length > 0) {
      out.empty.push(`${where}: no ${missing.join(", ")}`);
      if (series.length > 0) out.problems.push(`${where}: expected no series (no source here), got ${series.length}`);
      continue;
    }
    if (series.length === 0) out.problems.push(`${where}: no series: ${q}`);
    const want = expectedColumns(q);
    for (const s of series) if (JSON.stringify(s.columns) !== JSON.stringify(want)) out.problems.push(`${where}: columns ${s.columns.join(",")} != ${want.join(",")}`);
  }
  return out;
}
