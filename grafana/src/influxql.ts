// InfluxQL text for the dashboards' queries, from a small typed description whose
// every name is checked against the schema (names.ts). Pure.
//
// Grafana expands the macros at query time: $timeFilter (the dashboard range),
// $__interval (the bucket width for the panel's width and range) and $<variable>
// (a template variable; for multi-value or "All" variables Grafana regex-escapes the
// values and joins them as (a|b), hence every variable is matched with =~ /^$v$/).
import { fieldName, measurementName, tagName } from "./names.ts";

/** rate: non_negative_derivative(last(field), 1s), the per-second increase of a counter in each time bucket. */
export type Agg = "mean" | "last" | "max" | "min" | "sum" | "count" | "rate";

/** One output column: agg(field) * scale AS as. No agg: the raw field (raw selects only). */
export interface Col {
  field: string;
  agg?: Agg;
  /** Column name; default the field name. Every column is aliased, so result columns are predictable. */
  as?: string;
  /** Multiplier, e.g. 8 for bytes/s -> bits/s. */
  scale?: number;
}

/** A tag condition: equal to a constant, matching a regex, or matching a template variable's value(s). */
export type Match = { tag: string; eq: string } | { tag: string; regex: string } | { tag: string; variable: string };

export interface Select {
  from: string;
  cols: Col[];
  /** Tags returned as columns (raw selects, e.g. annotations). */
  tagCols?: string[];
  where?: Match[];
  /** GROUP BY time($__interval). */
  byTime?: boolean;
  /** GROUP BY these tags (one series per tag set). */
  by?: string[];
  fill?: "null" | "none" | "0";
}

const TIME_FILTER = "$timeFilter";
const INTERVAL = "time($__interval)";
const ALIAS_RE = /^[a-z][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  return `"${name}"`;
}

function alias(c: Col): string {
  const a = c.as ?? c.field;
  if (!ALIAS_RE.test(a)) throw new Error(`grafana: column alias "${a}" must be snake_case`);
  return a;
}

function colText(from: string, c: Col): string {
  const f = ident(fieldName(from, c.field));
  const expr = c.agg === undefined ? f : c.agg === "rate" ? `non_negative_derivative(last(${f}), 1s)` : `${c.agg}(${f})`;
  const scaled = c.scale === undefined ? expr : `${expr} * ${c.scale}`;
  return `${scaled} AS ${ident(alias(c))}`;
}

function matchText(from: string, m: Match): string {
  const t = ident(tagName(from, m.tag));
  if ("eq" in m) return `${t} = '${m.eq.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  if ("regex" in m) return `${t} =~ /${m.regex.replaceAll("/", "\\/")}/`;
  if (!ALIAS_RE.test(m.variable)) throw new Error(`grafana: variable "${m.variable}" must be snake_case`);
  return `${t} =~ /^$${m.variable}$/`;
}

function groupBy(byTime: boolean | undefined, tags: readonly string[], fill: Select["fill"]): string {
  const parts = [...(byTime ? [INTERVAL] : []), ...tags.map(ident)];
  const g = parts.length > 0 ? ` GROUP BY ${parts.join(", ")}` : "";
  return fill !== undefined && byTime ? `${g} fill(${fill})` : g;
}

/** The output column names of a select, in order (after InfluxQL's leading "time"). */
export function columns(s: Select): string[] {
  return [...s.cols.map(alias), ...(s.tagCols ?? [])];
}

/** SELECT ... FROM "m" WHERE <matches> AND $timeFilter [GROUP BY ...]. */
export function select(s: Select): string {
  const from = measurementName(s.from);
  if (s.cols.length === 0) throw new Error(`grafana: a query of "${from}" selects no field`);
  const raw = s.cols.some((c) => c.agg === undefined);
  if (raw && (s.byTime || s.cols.some((c) => c.agg !== undefined))) throw new Error(`grafana: "${from}": raw and aggregated columns mixed`);
  if (s.tagCols?.length && !raw) throw new Error(`grafana: "${from}": tag columns need a raw select`);
  const cols = [...s.cols.map((c) => colText(from, c)), ...(s.tagCols ?? []).map((t) => ident(tagName(from, t)))];
  const where = [...(s.where ?? []).map((m) => matchText(from, m)), TIME_FILTER].join(" AND ");
  const by = (s.by ?? []).map((t) => tagName(from, t));
  return `SELECT ${cols.join(", ")} FROM ${ident(from)} WHERE ${where}${groupBy(s.byTime, by, s.fill)}`;
}

export interface Rollup {
  agg: Agg;
  byTime?: boolean;
  /** A subset of the inner query's GROUP BY tags. */
  by?: string[];
  fill?: Select["fill"];
}

/**
 * agg over the inner query's series, e.g. the per-cpu means of softirqs summed per host:
 * SELECT sum("x") AS "x" FROM (<inner>) WHERE $timeFilter GROUP BY time($__interval), "host".
 */
export function rollup(inner: Select, r: Rollup): string {
  const innerBy = new Set(inner.by ?? []);
  for (const t of r.by ?? []) {
    if (!innerBy.has(t)) throw new Error(`grafana: rollup of "${inner.from}" groups by "${t}", which the inner query does not`);
  }
  const cols = inner.cols.map((c) => `${r.agg}(${ident(alias(c))}) AS ${ident(alias(c))}`);
  return `SELECT ${cols.join(", ")} FROM (${select(inner)}) WHERE ${TIME_FILTER}${groupBy(r.byTime, r.by ?? [], r.fill)}`;
}

/** SHOW TAG VALUES FROM "m" WITH KEY = "k" [WHERE ...], for template variables. */
export function tagValues(from: string, key: string, where: Match[] = []): string {
  const m = measurementName(from);
  const w = where.length > 0 ? ` WHERE ${where.map((x) => matchText(m, x)).join(" AND ")}` : "";
  return `SHOW TAG VALUES FROM ${ident(m)} WITH KEY = ${ident(tagName(m, key))}${w}`;
}
