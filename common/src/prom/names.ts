// The Prometheus names of the schema's fields: one metric family per (measurement, numeric field). Pure.
//
// Rules, in order (the units in our names are the schema's suffixes, see schema.ts):
// - name: `eastwest_<measurement>_<field>` (a measurement already named eastwest_* keeps its name);
// - `*_total` is a counter (whatever its numeric type); everything else numeric is a gauge; bool is a 0/1 gauge;
//   string fields are left out (none today: what a string would carry is a tag, hence a label);
// - `X_per_s` is left out when the measurement also has `X_total`: the agent derived it from that counter, and
//   rates are left to PromQL (`rate(..._total[1m])`); a `_per_s` without its counter (a kernel estimate such as
//   tcp_flow's delivery rate, a model constant) is kept as a gauge, `_per_second`; likewise `X` beside `X_total`
//   (kvm_exits.exits: the change over the interval);
// - units become base units: `_ns` /1e9, `_us` /1e6, `_ms` /1e3, `_s` -> `_seconds`; `_pct` /100 -> `_ratio`;
//   bits become bytes (`_bits_per_s` /8 and `_gbit_s` x1e9/8 -> `_bytes_per_second`); bytes stay bytes;
// - a gauge never ends in a suffix Prometheus reserves for other types (`_count`, `_sum`, `_bucket`, `_created`,
//   `_info`): `cycles_count` (a count over the interval) becomes `cycles`.
// Two fields that map to one name (or onto another's `_total`/`_created` sample) are a problem: the later one is
// left out and named in `problems`. The real schema has none (test/unit/prom/names.test.ts).
import type { FieldType, MeasurementDef } from "../schema/types.ts";

export type PromType = "counter" | "gauge";

export interface Family {
  /** Metric name as in the 0.0.4 text format (counters end in _total). */
  name: string;
  /** OpenMetrics family name: a counter's name without _total. */
  omName: string;
  type: PromType;
  help: string;
  /** Stored value x scale = exposed value (1 when no unit changes). */
  scale: number;
  measurement: string;
  field: string;
  fieldType: FieldType;
}

export interface FamilyTable {
  /** measurement -> field -> family. */
  readonly byMeasurement: ReadonlyMap<string, ReadonlyMap<string, Family>>;
  /** Fields left out and why ("rate of X_total", "string", "name collision with ..."). */
  readonly skipped: ReadonlyArray<{ measurement: string; field: string; reason: string }>;
  readonly problems: readonly string[];
}

export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Names the exposition itself uses (render.ts); no field may take them. */
export const RESERVED_NAMES: readonly string[] = ["eastwest_metrics_series", "eastwest_metrics_truncated_series", "eastwest_metrics_stale_series", "eastwest_metrics_skipped_points"];

const UNITS: ReadonlyArray<{ suffix: string; to: string; scale: number }> = [
  { suffix: "_gbit_s", to: "_bytes_per_second", scale: 1e9 / 8 },
  { suffix: "_bits_per_s", to: "_bytes_per_second", scale: 1 / 8 },
  { suffix: "_per_s", to: "_per_second", scale: 1 },
  { suffix: "_ns", to: "_seconds", scale: 1e-9 },
  { suffix: "_us", to: "_seconds", scale: 1e-6 },
  { suffix: "_ms", to: "_seconds", scale: 1e-3 },
  { suffix: "_s", to: "_seconds", scale: 1 },
  { suffix: "_pct", to: "_ratio", scale: 0.01 },
];

const RESERVED_GAUGE_SUFFIXES = ["_count", "_sum", "_bucket", "_created", "_info", "_total"];

/** The exposed name stem and scale of a field without its `_total` (e.g. "user_ns" -> "user_seconds", 1e-9). */
export function convertUnit(stem: string): { stem: string; scale: number; note: string } {
  for (const u of UNITS) {
    if (stem.endsWith(u.suffix) && stem.length > u.suffix.length) {
      const note = u.scale === 1 ? "" : ` (stored as ${u.suffix.slice(1)}, exposed x${u.scale})`;
      return { stem: stem.slice(0, -u.suffix.length) + u.to, scale: u.scale, note };
    }
  }
  return { stem, scale: 1, note: "" };
}

/** The metric name prefix of a measurement. */
export function measurementPrefix(measurement: string): string {
  return measurement.startsWith("eastwest_") ? measurement : `eastwest_${measurement}`;
}

/** One field's family, or the reason it has none. */
export function familyOf(measurement: string, def: MeasurementDef, field: string): Family | { skip: string } {
  const fieldType = def.fields[field];
  if (fieldType === undefined) return { skip: "not in the schema" };
  if (fieldType === "string") return { skip: "string field (not a number)" };
  if (field.endsWith("_per_s") && `${field.slice(0, -"_per_s".length)}_total` in def.fields)
    return { skip: `rate of ${field.slice(0, -"_per_s".length)}_total (rates are left to PromQL)` };
  if (!field.endsWith("_total") && `${field}_total` in def.fields) return { skip: `change of ${field}_total over the interval (left to PromQL: increase())` };
  const prefix = measurementPrefix(measurement);
  const help = helpText(measurement, def, field);
  if (field.endsWith("_total") && fieldType !== "bool") {
    const unit = convertUnit(field.slice(0, -"_total".length));
    const omName = `${prefix}_${unit.stem}`;
    return { name: `${omName}_total`, omName, type: "counter", help: help + unit.note, scale: unit.scale, measurement, field, fieldType };
  }
  const unit = convertUnit(field);
  let stem = unit.stem;
  for (const s of RESERVED_GAUGE_SUFFIXES) if (stem.endsWith(s) && stem.length > s.length) stem = stem.slice(0, -s.length);
  const name = `${prefix}_${stem}`;
  const note = fieldType === "bool" ? " (1 true, 0 false)" : unit.note;
  return { name, omName: name, type: "gauge", help: help + note, scale: unit.scale, measurement, field, fieldType };
}

/** Every family of a schema, in measurement then field order; collisions reported, not thrown. */
export function buildFamilies(registry: ReadonlyMap<string, MeasurementDef>): FamilyTable {
  const byMeasurement = new Map<string, Map<string, Family>>();
  const skipped: Array<{ measurement: string; field: string; reason: string }> = [];
  const problems: string[] = [];
  const taken = new Map<string, string>(RESERVED_NAMES.map((n) => [n, "the exposition's own metrics"]));
  for (const [measurement, def] of registry) {
    const fields = new Map<string, Family>();
    for (const field of Object.keys(def.fields)) {
      const f = familyOf(measurement, def, field);
      if ("skip" in f) {
        skipped.push({ measurement, field, reason: f.skip });
        continue;
      }
      const names = f.type === "counter" ? [f.omName, f.name, `${f.omName}_created`] : [f.name];
      const clash = names.find((n) => taken.has(n) || !METRIC_NAME_RE.test(n));
      if (clash !== undefined) {
        const reason = taken.has(clash) ? `name ${clash} collides with ${taken.get(clash)}` : `name ${clash} is not a valid metric name`;
        problems.push(`${measurement}.${field}: ${reason}`);
        skipped.push({ measurement, field, reason });
        continue;
      }
      for (const n of names) taken.set(n, `${measurement}.${field}`);
      fields.set(field, f);
    }
    byMeasurement.set(measurement, fields);
  }
  return { byMeasurement, skipped, problems };
}

const HELP_DOC_CHARS = 160;

/** HELP: the measurement and field, and the first sentence of the doc (cut at a word near HELP_DOC_CHARS). */
function helpText(measurement: string, def: MeasurementDef, field: string): string {
  const doc = def.doc.trim();
  const end = doc.search(/\.(\s|$)/);
  let sentence = end < 0 ? doc : doc.slice(0, end + 1);
  if (sentence.length > HELP_DOC_CHARS) sentence = `${sentence.slice(0, Math.max(sentence.lastIndexOf(" ", HELP_DOC_CHARS), HELP_DOC_CHARS / 2))} ...`;
  return `${measurement}.${field}: ${sentence}`;
}
