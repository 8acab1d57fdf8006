// What Grafana does to an InfluxQL target before sending it, for the panel tests: expands
// $timeFilter, $__interval / $interval and template variables the way the InfluxDB data
// source does (multi-value and "All" variables: values regex-escaped, several joined as (a|b);
// single-value variables verbatim). Also reads a dashboard JSON's targets and variables. Pure.

export interface Target {
  panel: string;
  refId: string;
  query: string;
  format: string;
}

export interface Variable {
  name: string;
  query: string;
  multi: boolean;
  includeAll: boolean;
}

/** A variable's chosen values (several: "All" or a multi-selection). */
export type Chosen = Map<string, { values: string[]; variable: Variable }>;

interface DashboardJson {
  title: string;
  panels?: Array<{ title: string; type: string; panels?: unknown[]; targets?: Array<{ refId?: string; query?: string; resultFormat?: string }> }>;
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean }> };
  annotations?: { list?: Array<{ name: string; target?: { query?: string; refId?: string } }> };
}

/** Every panel target and annotation query of a dashboard (rows' nested panels included). */
export function targetsOf(d: DashboardJson): Target[] {
  const out: Target[] = [];
  const visit = (panels: DashboardJson["panels"]) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) out.push({ panel: p.title, refId: t.refId ?? "?", query: t.query ?? "", format: t.resultFormat ?? "time_series" });
      visit(p.panels as DashboardJson["panels"]);
    }
  };
  visit(d.panels);
  for (const a of d.annotations?.list ?? []) {
    if (a.target?.query) out.push({ panel: `annotation: ${a.name}`, refId: a.target.refId ?? "Anno", query: a.target.query, format: "time_series" });
  }
  return out;
}

/** The dashboard's query variables, in Grafana's evaluation order. */
export function variablesOf(d: DashboardJson): Variable[] {
  return (d.templating?.list ?? [])
    .filter((v) => v.type === "query")
    .map((v) => ({ name: v.name, query: String(v.query ?? ""), multi: v.multi ?? false, includeAll: v.includeAll ?? false }));
}

/** @grafana/data's escapeRegex. */
export function escapeRegex(v: string): string {
  return v.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

function formatValue(values: readonly string[], v: Variable): string {
  if (!v.multi && !v.includeAll) return values[0] ?? "";
  const escaped = values.map(escapeRegex);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
}

export interface Range {
  fromMs: number;
  toMs: number;
  interval: string;
}

/** The query as Grafana sends it. Throws on a $name that is neither a macro nor a chosen variable. */
export function expand(query: string, range: Range, chosen: Chosen): string {
  return query.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    if (name === "timeFilter") return `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`;
    if (name === "__interval" || name === "interval") return range.interval;
    const v = chosen.get(name);
    if (v === undefined) throw new Error(`unexpanded ${whole} in: ${query}`);
    return formatValue(v.values, v.variable);
  });
}

/**
 * The columns a select returns: InfluxQL's "time", then the outer select's columns in order
 * (every column the dashboards select is `expr AS "alias"` or a bare "tag").
 */
export function expectedColumns(query: string): string[] {
  const m = /^SELECT (.*?) FROM /.exec(query);
  if (m === null) throw new Error(`not a SELECT: ${query}`);
  const cols = topLevel(m[1] as string).map((part) => {
    const c = /AS "([a-z0-9_]+)"$/.exec(part) ?? /^"([a-z0-9_]+)"$/.exec(part);
    if (c === null) throw new Error(`column without alias: ${part}`);
    return c[1] as string;
  });
  return ["time", ...cols];
}

/** The comma-separated parts of a select list outside parentheses (a column may be f(g("x"), 1s) AS "y"). */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < list.length; i++) {
    const ch = list[i] as string;
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth === 0 && list.startsWith(", ", i)) {
      parts.push(cur);
      cur = "";
      i++;
      continue;
    }
    cur += ch;
  }
  return [...parts, cur];
}

/** Measurements a query reads (FROM "m", subqueries included). */
export function measurementsOf(query: string): string[] {
  return [...query.matchAll(/FROM "([a-z0-9_]+)"/g)].map((m) => m[1] as string);
}
