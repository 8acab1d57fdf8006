// PromQL text for the dashboards' queries. Every metric name is the exposition's own (common/src/prom: one family
// per numeric schema field, units in base units: seconds, bytes, ratios), so a field the exposition leaves out
// or renames fails generation. Labels are the measurement's tags plus Prometheus's job and instance. Pure.
//
// Grafana expands at query time: $__rate_interval (max($__interval + scrape interval, 4 x scrape interval), the
// range a rate() needs to see at least two samples), $__interval, $__range, and $<variable> (multi-value and "All"
// variables: values regex-escaped and joined as (a|b), hence `label=~"$v"`).
import { measurement } from "@eastwest/common";
import { familyOf } from "@eastwest/common/prom";
import { SchemaNameError } from "./names.ts";

export type PMatch = { label: string; variable: string } | { label: string; eq: string } | { label: string; regex: string } | { label: string; ne: string };

/** Written by the collector itself: no job filter (the collector's job is the only one that has them). */
const COLLECTOR_ONLY = new Set(["run", "run_endpoint", "run_window", "cost_breakdown", "diagnosis", "eastwest_collector", "eastwest_collector_limit"]);
const PROM_LABELS = ["job", "instance"];
const VAR_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** The exposed metric name of a measurement's field, checked. */
export function metric(m: string, field: string): string {
  const def = measurement(m);
  if (def === undefined) throw new SchemaNameError(`grafana: measurement "${m}" is not in the schema (common/src/schema*)`);
  const f = familyOf(m, def, field);
  if ("skip" in f) throw new SchemaNameError(`grafana: "${m}.${field}" has no Prometheus metric: ${f.skip}`);
  return f.name;
}

/** A label of the measurement's metrics (a tag, or job / instance), checked. */
export function label(m: string, l: string): string {
  if (!PROM_LABELS.includes(l) && !(measurement(m)?.tags ?? []).includes(l)) throw new SchemaNameError(`grafana: "${m}" metrics have no label "${l}"`);
  return l;
}

const quote = (v: string) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function matcher(m: string, x: PMatch): string {
  const l = label(m, x.label);
  if ("eq" in x) return `${l}=${quote(x.eq)}`;
  if ("ne" in x) return `${l}!=${quote(x.ne)}`;
  if ("regex" in x) return `${l}=~${quote(x.regex)}`;
  if (!VAR_RE.test(x.variable)) throw new Error(`grafana: variable "${x.variable}" must be snake_case`);
  return `${l}=~"$${x.variable}"`;
}

/** The matchers of a measurement's selector: the chosen scrape job for agent data, then `where`. */
export function matchers(m: string, where: readonly PMatch[]): string {
  const all = COLLECTOR_ONLY.has(m) ? where : [{ label: "job", variable: "job" }, ...where];
  return all.map((x) => matcher(m, x)).join(", ");
}

/** metric{job=~"$job", ...}. */
export function sel(m: string, field: string, where: readonly PMatch[] = []): string {
  const ms = matchers(m, where);
  return ms === "" ? metric(m, field) : `${metric(m, field)}{${ms}}`;
}

/** Per-second rate of a counter over $__rate_interval (irate: the last two samples, for spiky counters). */
export function rate(m: string, field: string, where: readonly PMatch[] = [], fn: "rate" | "irate" = "rate"): string {
  if (!field.endsWith("_total")) throw new Error(`grafana: rate() of "${m}.${field}", which is not a counter`);
  return `${fn}(${sel(m, field, where)}[$__rate_interval])`;
}

/** agg by (labels) (expr), labels checked against the measurement. */
export function by(agg: "sum" | "max" | "min" | "avg" | "count", m: string, labels: readonly string[], expr: string): string {
  return `${agg} by (${labels.map((l) => label(m, l)).join(", ")}) (${expr})`;
}

/** The last value of each series within the dashboard's range (for tables of runs, which stay exposed only minutes). */
export function lastInRange(m: string, field: string, where: readonly PMatch[] = []): string {
  return `last_over_time(${sel(m, field, where)}[$__range])`;
}

/** scale x sum by (labels) (rate(counter)): a counter's per-second rate summed over the series that share `labels`. */
export function sumRate(m: string, field: string, labels: readonly string[], where: readonly PMatch[] = [], scale = 1): string {
  const e = by("sum", m, labels, rate(m, field, where));
  return scale === 1 ? e : `${scale} * ${e}`;
}

/** scale x max by (labels) (gauge): one value per label set (a series scraped by two jobs counts once). */
export function maxOf(m: string, field: string, labels: readonly string[], where: readonly PMatch[] = [], scale = 1): string {
  const e = by("max", m, labels, sel(m, field, where));
  return scale === 1 ? e : `${scale} * ${e}`;
}

/** A legend of label values and a suffix: "{{agent_id}} {{interface}} rx". */
export function legendOf(labels: readonly string[], suffix = ""): string {
  return [...labels.map((l) => `{{${l}}}`), ...(suffix === "" ? [] : [suffix])].join(" ");
}

function family(m: string, field: string) {
  const def = measurement(m);
  if (def === undefined) throw new SchemaNameError(`grafana: measurement "${m}" is not in the schema (common/src/schema*)`);
  return familyOf(m, def, field);
}

/** The factor that takes a field's exposed value back to the schema's unit (e.g. 1e6 for `_us`, 100 for `_pct`). */
export function storedScale(m: string, field: string): number {
  const f = family(m, field);
  if ("skip" in f) throw new SchemaNameError(`grafana: "${m}.${field}" has no Prometheus metric: ${f.skip}`);
  return Number((1 / f.scale).toPrecision(12));
}

/**
 * The PromQL of one schema field in the schema's unit, one series per label set: a gauge as max by (labels), a
 * `X_per_s` the exposition leaves out as the rate of its `X_total`. `scale` multiplies further (e.g. 8: bytes to bits).
 */
export function promOf(m: string, field: string, labels: readonly string[], where: readonly PMatch[] = [], scale = 1): string {
  const f = family(m, field);
  if ("skip" in f && field.endsWith("_per_s")) return sumRate(m, `${field.slice(0, -"_per_s".length)}_total`, labels, where, scale);
  return maxOf(m, field, labels, where, Number((storedScale(m, field) * scale).toPrecision(12)));
}
