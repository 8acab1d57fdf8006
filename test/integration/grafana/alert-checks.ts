// Runs the provisioned alert rules' queries (grafana/provisioning/alerting/*.yaml) the way Grafana's alerting would:
// each data source query over its relativeTimeRange (PromQL: an instant query at the range's end; InfluxQL:
// $timeFilter over the range), against a real Prometheus and a real influxd. The expected shape: one series per
// label set named in the query's grouping, the same label set for every query of a rule (Grafana's math expression
// joins them on it), one number per series.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Influxd } from "../../helpers/tsdb.ts";
import { expand, expectedColumns } from "./expand.ts";
import { promQuery } from "./live.ts";

export interface AlertQueryDoc {
  refId: string;
  datasourceUid: string;
  relativeTimeRange?: { from: number; to: number };
  model: { expr?: string; query?: string; type?: string; expression?: string };
}
export interface AlertRuleDoc {
  uid: string;
  title: string;
  condition: string;
  data: AlertQueryDoc[];
  [k: string]: unknown;
}
export interface AlertFileDoc {
  apiVersion: number;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: AlertRuleDoc[] }>;
}

const DIR = fileURLToPath(new URL("../../../grafana/provisioning/alerting/", import.meta.url));

export function alertFile(name: "eastwest-influxdb.yaml" | "eastwest-prometheus.yaml"): AlertFileDoc {
  return parse(readFileSync(DIR + name, "utf8")) as AlertFileDoc;
}

export interface AlertOutcome {
  problems: string[];
  /** "<rule> [<refId>]: n series (labels)" */
  shapes: string[];
  /** Queries with no series, and why that is expected here. */
  empty: string[];
}

const sources = (r: AlertRuleDoc) => r.data.filter((d) => d.datasourceUid !== "__expr__");

/** The labels a PromQL query groups by: its outermost `agg by (...)`. */
export function promGrouping(expr: string): string[] {
  const m = /^(?:[\d.]+ \* )?\w+ by \(([^)]*)\)/.exec(expr);
  return m ? (m[1] as string).split(",").map((s) => s.trim()).sort() : [];
}

/** `why` says, for a query with no series, whether that is expected here (undefined: it is a problem). */
export async function checkAlertsProm(doc: AlertFileDoc, base: string, endS: number, why: (rule: string, expr: string) => Promise<string | undefined>): Promise<AlertOutcome> {
  const out: AlertOutcome = { problems: [], shapes: [], empty: [] };
  for (const r of doc.groups.flatMap((g) => g.rules)) {
    const keys = new Set<string>();
    for (const d of sources(r)) {
      const expr = d.model.expr ?? "";
      const res = await promQuery(base, "/api/v1/query", { query: expr, time: String(endS + (d.relativeTimeRange?.to ?? 0)) });
      const where = `${r.uid} [${d.refId}]`;
      if (res.status !== "success" || res.data.resultType !== "vector") {
        out.problems.push(`${where}: ${res.error ?? res.data.resultType}: ${expr}`);
        continue;
      }
      const want = promGrouping(expr);
      keys.add(want.join(","));
      if (res.data.result.length === 0) {
        const reason = await why(r.uid, expr);
        (reason === undefined ? out.problems : out.empty).push(`${where}: no series${reason ? `: ${reason}` : `: ${expr}`}`);
        continue;
      }
      for (const s of res.data.result) {
        const got = Object.keys(s.metric).sort().join(",");
        if (got !== want.join(",")) out.problems.push(`${where}: labels ${got} != ${want.join(",")}`);
        if (!Number.isFinite(Number(s.value?.[1])) && s.value?.[1] !== "NaN") out.problems.push(`${where}: value ${s.value?.[1]}`);
      }
      out.shapes.push(`${where}: ${res.data.result.length} series (${want.join(", ")})`);
    }
    if (keys.size > 1) out.problems.push(`${r.uid}: its queries group by different labels: ${[...keys].join(" | ")}`);
  }
  return out;
}

/** The tags an InfluxQL query groups by: its outermost GROUP BY's tags. */
export function influxGrouping(q: string): string[] {
  const m = /GROUP BY ([^()]*)$/.exec(q);
  return m ? [...(m[1] as string).matchAll(/"([a-z0-9_]+)"/g)].map((x) => x[1] as string).sort() : [];
}

export async function checkAlertsInflux(doc: AlertFileDoc, influx: Influxd, db: string, endMs: number, why: (rule: string, q: string) => string | undefined): Promise<AlertOutcome> {
  const out: AlertOutcome = { problems: [], shapes: [], empty: [] };
  for (const r of doc.groups.flatMap((g) => g.rules)) {
    const keys = new Set<string>();
    for (const d of sources(r)) {
      const rt = d.relativeTimeRange ?? { from: 600, to: 0 };
      const nowMs = endMs + rt.to * 1000;
      const q = expand(d.model.query ?? "", { fromMs: nowMs - rt.from * 1000, toMs: nowMs - rt.to * 1000, interval: "60s" }, new Map());
      const where = `${r.uid} [${d.refId}]`;
      const series = await influx.query(q, db).then((x) => x.series, (err: Error) => (out.problems.push(`${where}: ${err.message}`), undefined));
      if (series === undefined) continue;
      const want = influxGrouping(q);
      keys.add(want.join(","));
      if (series.length === 0) {
        const reason = why(r.uid, q);
        (reason === undefined ? out.problems : out.empty).push(`${where}: no series${reason ? `: ${reason}` : `: ${q}`}`);
        continue;
      }
      for (const s of series) {
        const got = Object.keys(s.tags ?? {}).sort().join(",");
        if (got !== want.join(",")) out.problems.push(`${where}: tags ${got} != ${want.join(",")}`);
        if (JSON.stringify(s.columns) !== JSON.stringify(expectedColumns(q))) out.problems.push(`${where}: columns ${s.columns.join(",")}`);
        if (s.values.length !== 1 || typeof s.values[0]?.[1] !== "number") out.problems.push(`${where}: not one number: ${JSON.stringify(s.values)}`);
      }
      out.shapes.push(`${where}: ${series.length} series (${want.join(", ")})`);
    }
    if (keys.size > 1) out.problems.push(`${r.uid}: its queries group by different tags: ${[...keys].join(" | ")}`);
  }
  return out;
}
