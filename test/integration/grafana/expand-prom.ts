// What Grafana's Prometheus data source does to a PromQL target before sending it, for the panel tests:
// $__rate_interval = max($__interval + scrape interval, 4 x scrape interval) (the data source's "Scrape interval"),
// $__interval, $__range (and $__range_s), and template variables: a single-value variable verbatim (backslashes and
// quotes escaped), a multi-value or "All" one regex-escaped and joined as (a|b). Also reads a PromQL dashboard's
// targets, variables and annotations. Pure.

export interface PromTargetJson {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export interface PromVariable {
  name: string;
  query: string;
  multi: boolean;
  includeAll: boolean;
}

interface DashboardJson {
  panels?: Array<{ title: string; type: string; targets?: Array<{ refId?: string; expr?: string; instant?: boolean; range?: boolean }> }>;
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean }> };
  annotations?: { list?: Array<{ name: string; expr?: string }> };
}

/** Every panel target (instant or range) and every annotation expression (a range query) of a dashboard. */
export function promTargetsOf(d: DashboardJson): PromTargetJson[] {
  const out: PromTargetJson[] = [];
  for (const p of d.panels ?? []) for (const t of p.targets ?? []) out.push({ panel: p.title, refId: t.refId ?? "?", expr: t.expr ?? "", instant: t.instant === true && t.range !== true });
  for (const a of d.annotations?.list ?? []) if (a.expr) out.push({ panel: `annotation: ${a.name}`, refId: "Anno", expr: a.expr, instant: false });
  return out;
}

export function promVariablesOf(d: DashboardJson): PromVariable[] {
  return (d.templating?.list ?? []).filter((v) => v.type === "query").map((v) => ({ name: v.name, query: String(v.query ?? ""), multi: v.multi ?? false, includeAll: v.includeAll ?? false }));
}

/** label_values(selector, label) -> its parts. */
export function labelValuesQuery(q: string): { selector: string; label: string } {
  const m = /^label_values\((.*), (\w+)\)$/.exec(q);
  if (m === null) throw new Error(`not a label_values() query: ${q}`);
  return { selector: m[1] as string, label: m[2] as string };
}

/** Grafana's prometheusRegularEscape: backslashes and single quotes. */
const regular = (v: string) => v.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
/** Grafana's prometheusSpecialRegexEscape: regex metacharacters, escaped twice (once for the regex, once for the string). */
const special = (v: string) => regular(v.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&"));

export type PromChosen = Map<string, { values: string[]; variable: PromVariable }>;

export interface PromRange {
  intervalS: number;
  scrapeS: number;
  rangeS: number;
}

function seconds(s: number): string {
  return `${Math.max(1, Math.round(s))}s`;
}

/** The expression as Grafana sends it. Throws on a $name that is neither a macro nor a chosen variable. */
export function expandProm(expr: string, r: PromRange, chosen: PromChosen): string {
  const rate = Math.max(r.intervalS + r.scrapeS, 4 * r.scrapeS);
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => {
    const name = (a ?? b) as string;
    if (name === "__rate_interval") return seconds(rate);
    if (name === "__interval") return seconds(r.intervalS);
    if (name === "__range") return seconds(r.rangeS);
    if (name === "__range_s") return String(Math.round(r.rangeS));
    const v = chosen.get(name);
    if (v === undefined) throw new Error(`unexpanded ${whole} in: ${expr}`);
    if (!v.variable.multi && !v.variable.includeAll) return regular(v.values[0] ?? "");
    const escaped = v.values.map(special);
    return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join("|")})`;
  });
}

/** Metric names an expression reads (eastwest_* identifiers followed by { or a space or ). */
export function metricsOf(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(eastwest_[a-z0-9_]+)(?=[{\s)[]|$)/g)].map((m) => m[1] as string))];
}
