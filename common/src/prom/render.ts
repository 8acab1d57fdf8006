// The latest point of every series as one Prometheus exposition (text 0.0.4 or OpenMetrics 1.0.0). Pure.
//
// One sample per (series, numeric field with a family, see names.ts); labels are the measurement's tags in schema
// order, empty values left out (Prometheus reads an empty label as no label). No timestamps: Prometheus stamps
// each sample with its scrape time, so a series that stops updating goes stale in Prometheus the usual way; an
// explicit (old) timestamp would turn off staleness for it and get repeated samples dropped as out of order.
//
// Bounds: a point older than staleAfterNs is left out (its samples counted in eastwest_metrics_stale_series);
// beyond maxSeries samples the rest are left out in input order (counted in eastwest_metrics_truncated_series),
// so the cut is deterministic for a given input order. Points of unknown measurements and a second point with the
// same labels (possible only after a lone surrogate became U+FFFD) are counted in eastwest_metrics_skipped_points.
import type { FieldValue } from "../point.ts";
import type { MeasurementDef } from "../schema/types.ts";
import { escapeHelp, escapeLabelValue, formatValue, type ExpositionFormat } from "./escape.ts";
import { buildFamilies, LABEL_NAME_RE, type Family, type FamilyTable } from "./names.ts";

/** The newest point of one series (the collector's LatestRow and the agent's Sample both fit). */
export interface LatestPoint {
  measurement: string;
  tags: Readonly<Record<string, string>>;
  timeNs: bigint;
  fields: Readonly<Record<string, FieldValue>>;
}

export interface RenderOptions {
  format: ExpositionFormat;
  /** Unix epoch ns of the scrape. */
  nowNs: bigint;
  /** Points older than this are left out; 0n keeps every point. */
  staleAfterNs: bigint;
  /** Samples at most (the exposition's own metrics not counted). */
  maxSeries: number;
  /** Labels of the exposition's own metrics, e.g. { collector_id }. */
  selfLabels?: Readonly<Record<string, string>>;
}

export interface Exposition {
  text: string;
  series: number;
  truncated: number;
  stale: number;
  skipped: number;
}

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** Renders expositions of one schema; the family table is built once. */
export class Exposer {
  readonly families: FamilyTable;
  readonly #registry: ReadonlyMap<string, MeasurementDef>;

  constructor(registry: ReadonlyMap<string, MeasurementDef>) {
    this.#registry = registry;
    this.families = buildFamilies(registry);
  }

  render(points: Iterable<LatestPoint>, opts: RenderOptions): Exposition {
    const out: Exposition = { text: "", series: 0, truncated: 0, stale: 0, skipped: 0 };
    const lines = new Map<Family, string[]>();
    const seen = new Set<string>();
    const oldest = opts.staleAfterNs > 0n ? opts.nowNs - opts.staleAfterNs : undefined;
    for (const p of points) {
      const def = this.#registry.get(p.measurement);
      const fams = this.families.byMeasurement.get(p.measurement);
      if (def === undefined || fams === undefined) {
        out.skipped++;
        continue;
      }
      if (oldest !== undefined && p.timeNs < oldest) {
        out.stale += countSamples(p, fams);
        continue;
      }
      const labels = labelText(def.tags, p.tags);
      const key = `${p.measurement}\u0000${labels}`;
      if (seen.has(key)) {
        out.skipped++;
        continue;
      }
      seen.add(key);
      const braces = labels === "" ? "" : `{${labels}}`;
      for (const [field, value] of Object.entries(p.fields)) {
        const fam = fams.get(field);
        if (fam === undefined || typeof value === "string") continue;
        if (out.series >= opts.maxSeries) {
          out.truncated++;
          continue;
        }
        out.series++;
        let list = lines.get(fam);
        if (list === undefined) lines.set(fam, (list = []));
        list.push(`${fam.name}${braces} ${formatValue(value, fam.scale)}\n`);
      }
    }
    out.text = assemble(lines, out, opts);
    return out;
  }
}

function countSamples(p: LatestPoint, fams: ReadonlyMap<string, Family>): number {
  let n = 0;
  for (const [field, value] of Object.entries(p.fields)) if (fams.has(field) && typeof value !== "string") n++;
  return n;
}

function labelText(tagOrder: readonly string[], tags: Readonly<Record<string, string>>): string {
  let s = "";
  for (const t of tagOrder) {
    const v = tags[t];
    if (v === undefined || v === "") continue;
    s += `${s === "" ? "" : ","}${t}="${escapeLabelValue(v)}"`;
  }
  return s;
}

function assemble(lines: Map<Family, string[]>, counts: Exposition, opts: RenderOptions): string {
  const parts: string[] = [];
  const om = opts.format === "openmetrics";
  const sorted = [...lines.entries()].sort(([a], [b]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const [fam, samples] of sorted) {
    const head = om ? fam.omName : fam.name;
    parts.push(`# HELP ${head} ${escapeHelp(fam.help, opts.format)}\n# TYPE ${head} ${fam.type}\n`, ...samples);
  }
  const self = labelText(Object.keys(opts.selfLabels ?? {}).filter((k) => LABEL_NAME_RE.test(k)), opts.selfLabels ?? {});
  const braces = self === "" ? "" : `{${self}}`;
  const meta: Array<[string, string, number]> = [
    ["eastwest_metrics_series", "Samples in this exposition, its own metrics not counted.", counts.series],
    ["eastwest_metrics_truncated_series", "Samples left out because the exposition reached its maximum number of series.", counts.truncated],
    ["eastwest_metrics_stale_series", "Samples left out because their series' latest point is older than the staleness bound.", counts.stale],
    ["eastwest_metrics_skipped_points", "Latest points left out: measurement not in the schema, or labels equal to another point's.", counts.skipped],
  ];
  for (const [name, help, value] of meta) parts.push(`# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${braces} ${value}\n`);
  if (om) parts.push("# EOF\n");
  return parts.join("");
}

/** OpenMetrics when the Accept header asks for it (as Prometheus does by default), else the text format 0.0.4. */
export function negotiate(accept: string | undefined): ExpositionFormat {
  if (accept === undefined) return "text";
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (type !== "application/openmetrics-text") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    return "openmetrics";
  }
  return "text";
}
