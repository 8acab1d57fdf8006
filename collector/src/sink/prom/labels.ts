// Stored points as Prometheus series: the names GET /metrics uses (common/src/prom: one family per numeric field,
// base units, counters `_total`) and the measurement's tags as labels. Pure.
//
// Labels: __name__ plus every tag with a non-empty value (Prometheus reads an empty label as no label), sorted by
// name as remote-write requires. A tag name that is not a valid label name is mapped to one (every character
// outside [a-zA-Z0-9_] becomes "_", a leading digit gets "_" before it, a leading "__" — reserved — becomes
// "tag__"); should two tags map to one name, the later one is left out. Values are made well-formed UTF-16 first
// (a lone surrogate becomes U+FFFD), so the UTF-8 sent is valid whatever the tag text.
import { allMeasurements, type FieldValue } from "@eastwest/common";
import { buildFamilies, LABEL_NAME_RE, wellFormed, type Family, type FamilyTable } from "@eastwest/common/prom";

export interface Label {
  name: string;
  value: string;
}

/** One sample of a stored point: its series' labels (sorted, __name__ first by order) and its value. */
export interface PromSample {
  /** The family, for the series' type and help. */
  family: Family;
  labels: Label[];
  /** Canonical text of the labels: equal for samples of one series. */
  key: string;
  value: number;
}

let families: FamilyTable | undefined;

/** The schema's families (built once). */
export function schemaFamilies(): FamilyTable {
  families ??= buildFamilies(allMeasurements());
  return families;
}

const NAME_CACHE = new Map<string, string>();

/** A valid label name for any tag name (see the head comment); "" stays "" (left out). */
export function labelName(tag: string): string {
  let n = NAME_CACHE.get(tag);
  if (n !== undefined) return n;
  n = tag.replace(/[^a-zA-Z0-9_]/g, "_");
  if (/^[0-9]/.test(n)) n = `_${n}`;
  if (n.startsWith("__")) n = `tag${n}`;
  if (NAME_CACHE.size > 10_000) NAME_CACHE.clear();
  NAME_CACHE.set(tag, n);
  return n;
}

/** The labels of a series: __name__ and the tags (see the head comment), sorted by name. */
export function seriesLabels(name: string, tags: Readonly<Record<string, string>>): Label[] {
  const out: Label[] = [{ name: "__name__", value: name }];
  const seen = new Set<string>(["__name__"]);
  for (const [tag, value] of Object.entries(tags)) {
    if (value === "" || tag === "") continue;
    const n = labelName(tag);
    if (seen.has(n) || !LABEL_NAME_RE.test(n)) continue;
    seen.add(n);
    out.push({ name: n, value: wellFormed(value) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A field value in the family's exposed unit; undefined for text. */
export function sampleValue(value: FieldValue, scale: number): number | undefined {
  if (typeof value === "string") return undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  const n = Number(value);
  if (scale === 1) return n;
  const inverse = Math.round(1 / scale);
  // why: dividing by 1e9 gives 0.181026 where multiplying by 1e-9 gives 0.18102600000000002 (as GET /metrics does).
  return scale < 1 && Math.abs(1 / scale - inverse) < 1e-6 ? n / inverse : n * scale;
}

type SeriesOf = Map<Family, { labels: Label[]; key: string }>;

/** why: the point log hands out one tags object per stored series, so labels are built once per series and family. */
const BY_TAGS = new WeakMap<object, SeriesOf>();

function seriesOf(family: Family, tags: Readonly<Record<string, string>>): { labels: Label[]; key: string } {
  let m = BY_TAGS.get(tags);
  if (m === undefined) BY_TAGS.set(tags, (m = new Map()));
  let s = m.get(family);
  if (s === undefined) {
    const labels = seriesLabels(family.name, tags);
    m.set(family, (s = { labels, key: JSON.stringify(labels) }));
  }
  return s;
}

/** The samples of one stored point: one per numeric field with a family; none for an unknown measurement. */
export function pointSamples(measurement: string, tags: Readonly<Record<string, string>>, fields: Readonly<Record<string, FieldValue>>): PromSample[] {
  const fams = schemaFamilies().byMeasurement.get(measurement);
  if (fams === undefined) return [];
  const out: PromSample[] = [];
  for (const [field, raw] of Object.entries(fields)) {
    const family = fams.get(field);
    if (family === undefined) continue;
    const value = sampleValue(raw, family.scale);
    if (value === undefined) continue;
    const { labels, key } = seriesOf(family, tags);
    out.push({ family, labels, key, value });
  }
  return out;
}
