// The alert rules as Grafana 11.3 file provisioning (provisioning/alerting/*.yaml, apiVersion 1): one rule group
// per data source type, each rule its queries (datasourceUid: the provisioned data source), a reduce expression per
// query and the condition as a math expression (datasourceUid __expr__). Emitted as YAML by a small writer (the
// document has only maps, lists, strings, numbers and booleans; strings are JSON-quoted, which YAML reads as is).
import { ALERTS, type AlertDef, type AlertQuery } from "./alerts.ts";
import { GENERATED } from "./dashboard.ts";
import { PLUGIN, type Lang } from "./lang.ts";

/** The provisioned data sources (provisioning/datasources/eastwest.yaml): alert rules name one by uid. */
export const DATASOURCE_UID: Readonly<Record<Lang, string>> = { influxql: "eastwest-influxdb", promql: "eastwest-prometheus" };
export const FOLDER = "eastwest";
/** Evaluation interval of the groups: a multiple of Grafana's 10 s scheduler tick. */
export const GROUP_INTERVAL = "1m";
const EXPR = "__expr__";
const reduced = (refId: string) => `R${refId}`;

function query(q: AlertQuery, lang: Lang): Record<string, unknown> {
  const ds = { type: PLUGIN[lang], uid: DATASOURCE_UID[lang] };
  const model = lang === "influxql"
    ? { refId: q.refId, datasource: ds, query: q.influx, rawQuery: true, resultFormat: "time_series", intervalMs: 60_000, maxDataPoints: 43_200 }
    : { refId: q.refId, datasource: ds, expr: q.prom, instant: true, range: false, editorMode: "code", intervalMs: 60_000, maxDataPoints: 43_200 };
  return { refId: q.refId, relativeTimeRange: { from: q.fromS, to: q.toS ?? 0 }, datasourceUid: DATASOURCE_UID[lang], model };
}

function reduce(q: AlertQuery): Record<string, unknown> {
  const refId = reduced(q.refId);
  return { refId, datasourceUid: EXPR, model: { refId, type: "reduce", expression: q.refId, reducer: q.reducer, settings: { mode: "dropNN" }, datasource: { type: EXPR, uid: EXPR } } };
}

/** The condition with each $X naming the reduced query RX. */
export function conditionExpression(a: AlertDef): string {
  return a.condition.replace(/\$([A-Z])\b/g, (_m, r: string) => `$${reduced(r)}`);
}

export function rule(a: AlertDef, lang: Lang): Record<string, unknown> {
  const cond = { refId: "COND", datasourceUid: EXPR, model: { refId: "COND", type: "math", expression: conditionExpression(a), datasource: { type: EXPR, uid: EXPR } } };
  return {
    uid: lang === "promql" ? `eastwest-${a.id}-prom` : `eastwest-${a.id}`,
    title: `${a.title} (${lang === "promql" ? "Prometheus" : "InfluxDB"})`,
    condition: "COND",
    data: [...a.queries.map((q) => query(q, lang)), ...a.queries.map(reduce), cond],
    noDataState: "OK",
    execErrState: "Error",
    for: a.for,
    annotations: { summary: a.summary, description: `${a.description} Condition: ${a.condition.replaceAll("$", "")}.`, diagnosis_rule: a.diagnosisRule },
    labels: { source: "eastwest", rule: a.id },
    isPaused: false,
  };
}

export function alertDocument(lang: Lang): Record<string, unknown> {
  const name = lang === "promql" ? "eastwest-continuous-prometheus" : "eastwest-continuous-influxdb";
  return { apiVersion: 1, groups: [{ orgId: 1, name, folder: FOLDER, interval: GROUP_INTERVAL, rules: ALERTS.map((a) => rule(a(), lang)) }] };
}

type Y = string | number | boolean | null | Y[] | { [k: string]: Y };

function scalar(v: Y): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** YAML block style: maps and lists indented by two spaces, scalars inline. */
export function toYaml(v: Y, indent = ""): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return `${indent}[]\n`;
    return v.map((x) => (typeof x === "object" && x !== null ? `${indent}- ${toYaml(x, `${indent}  `).slice(indent.length + 2)}` : `${indent}- ${scalar(x)}\n`)).join("");
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return `${indent}{}\n`;
    return entries.map(([k, x]) => (typeof x === "object" && x !== null && (Array.isArray(x) ? x.length > 0 : Object.keys(x).length > 0) ? `${indent}${k}:\n${toYaml(x, `${indent}  `)}` : `${indent}${k}: ${typeof x === "object" && x !== null ? (Array.isArray(x) ? "[]" : "{}") : scalar(x)}\n`)).join("");
  }
  return `${indent}${scalar(v)}\n`;
}

/** provisioning/alerting/<file> -> text, for gen and the drift check. */
export function renderAlertFiles(): Map<string, string> {
  const head = (lang: Lang) => `# ${GENERATED}\n# Alert rules for continuous monitoring (grafana/src/alerts.ts), ${lang === "promql" ? "PromQL" : "InfluxQL"}; Grafana 11.3 file provisioning.\n`;
  return new Map((["influxql", "promql"] as const).map((lang) => [`eastwest-${PLUGIN[lang]}.yaml`, head(lang) + toYaml(alertDocument(lang) as Y)]));
}
