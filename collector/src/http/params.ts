// Query-string parsing for the HTTP API. Pure: every problem is reported at
// once, as one 400 reason. Names are checked against the schema in
// @eastwest/common, so a typo gets an answer instead of an empty result.
import { measurement as measurementDef, NAME_RE, type MeasurementDef } from "@eastwest/common";
import type { Aggregate, LatestQuery, SeriesQuery } from "../store/types.ts";
import { parseDurationNs, parseTimeNs, type Parsed } from "./time.ts";

/** Rows per series when the request names no limit; and the most a request may ask for. */
export const DEFAULT_SERIES_LIMIT = 10_000;
export const MAX_SERIES_LIMIT = 1_000_000;
/** At most this many buckets per series: every must not be too small for the range. */
export const MAX_BUCKETS = 1_000_000n;
export const DEFAULT_RECORDS_LIMIT = 100;
export const MAX_RECORDS_LIMIT = 10_000;

const SERIES_PARAMS = new Set(["measurement", "from", "to", "field", "every", "agg", "limit", "agent_id"]);
const LATEST_PARAMS = new Set(["measurement", "agent_id"]);

function result<T>(problems: string[], value: () => T): Parsed<T> {
  return problems.length > 0 ? { ok: false, error: problems.join("; ") } : { ok: true, value: value() };
}

/** GET /api/v1/series: measurement (required), from (default -1h), to (default now), field, tag.<k>, agent_id, every, agg, limit. */
export function parseSeriesParams(p: URLSearchParams, nowNs: bigint): Parsed<SeriesQuery> {
  const problems = unknownParams(p, SERIES_PARAMS);
  const m = requireMeasurement(p, problems);
  const from = parseTimeNs(p.get("from") ?? "-1h", nowNs);
  const to = parseTimeNs(p.get("to") ?? "now", nowNs);
  if (!from.ok) problems.push(`from: ${from.error}`);
  if (!to.ok) problems.push(`to: ${to.error}`);
  if (from.ok && to.ok && from.value > to.value) problems.push("from is after to");
  const fields = parseFields(p, m?.def, problems);
  const tags = parseTags(p, m?.def, problems);
  const every = parseEvery(p, problems);
  if (every !== undefined && from.ok && to.ok && (to.value - from.value) / every >= MAX_BUCKETS) {
    problems.push(`every=${p.get("every")} makes more than ${MAX_BUCKETS} buckets in the range; widen it`);
  }
  const agg = parseAggregate(p, problems);
  const limit = parseLimit(p, DEFAULT_SERIES_LIMIT, MAX_SERIES_LIMIT, problems);
  return result(problems, () => {
    const q: SeriesQuery = { measurement: m!.name, fromNs: from.ok ? from.value : 0n, toNs: to.ok ? to.value : 0n, limit };
    if (fields !== undefined) q.fields = fields;
    if (tags !== undefined) q.tags = tags;
    if (every !== undefined) q.everyNs = every;
    if (agg !== undefined) q.aggregate = agg;
    return q;
  });
}

/** GET /api/v1/latest: measurement (optional), agent_id, tag.<k>. */
export function parseLatestParams(p: URLSearchParams): Parsed<LatestQuery> {
  const problems = unknownParams(p, LATEST_PARAMS);
  const m = p.has("measurement") ? requireMeasurement(p, problems) : undefined;
  const tags = parseTags(p, m?.def, problems);
  return result(problems, () => {
    const q: LatestQuery = {};
    if (m !== undefined) q.measurement = m.name;
    if (tags !== undefined) q.tags = tags;
    return q;
  });
}

/** GET /api/v1/records/:kind: limit. */
export function parseRecordsParams(p: URLSearchParams): Parsed<{ limit: number }> {
  const problems = unknownParams(p, new Set(["limit"]));
  const limit = parseLimit(p, DEFAULT_RECORDS_LIMIT, MAX_RECORDS_LIMIT, problems);
  return result(problems, () => ({ limit }));
}

/** A record kind or id in a path: a kind is snake_case; an id is 1-200 printable characters. */
export function checkRecordKey(kind: string, id?: string): string | undefined {
  if (!NAME_RE.test(kind)) return `record kind "${kind}" must be snake_case`;
  if (id !== undefined && !/^[\x21-\x7e]{1,200}$/.test(id)) return `record id "${id}" must be 1-200 printable characters`;
  return undefined;
}

function unknownParams(p: URLSearchParams, known: ReadonlySet<string>): string[] {
  const unknown = [...new Set(p.keys())].filter((k) => !known.has(k) && !k.startsWith("tag."));
  return unknown.map((k) => `unknown parameter "${k}" (known: ${[...known].join(", ")}, tag.<name>)`);
}

function requireMeasurement(p: URLSearchParams, problems: string[]): { name: string; def: MeasurementDef } | undefined {
  const name = p.get("measurement");
  if (name === null || name === "") {
    problems.push("measurement is required (see /api/v1/measurements)");
    return undefined;
  }
  const def = measurementDef(name);
  if (def === undefined) {
    problems.push(`unknown measurement "${name}" (see /api/v1/measurements)`);
    return undefined;
  }
  return { name, def };
}

/** field=a&field=b or field=a,b; each must be a field of the measurement. */
function parseFields(p: URLSearchParams, def: MeasurementDef | undefined, problems: string[]): string[] | undefined {
  const fields = p.getAll("field").flatMap((f) => f.split(",")).map((f) => f.trim());
  if (fields.length === 0) return undefined;
  for (const f of fields) {
    if (def !== undefined && !(f in def.fields)) {
      problems.push(`unknown field "${f}" (fields: ${Object.keys(def.fields).join(", ")})`);
    }
  }
  return [...new Set(fields)];
}

/** tag.<k>=<v> and agent_id=<v> (short for tag.agent_id); each tag must be in the measurement's tag set. */
function parseTags(p: URLSearchParams, def: MeasurementDef | undefined, problems: string[]): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const [key, value] of p) {
    if (key !== "agent_id" && !key.startsWith("tag.")) continue;
    const name = key === "agent_id" ? key : key.slice(4);
    if (!NAME_RE.test(name)) problems.push(`tag name "${name}" must be snake_case`);
    else if (def !== undefined && !def.tags.includes(name)) {
      problems.push(`unknown tag "${name}" (tags: ${def.tags.join(", ")})`);
    } else if (name in tags && tags[name] !== value) problems.push(`tag "${name}" given twice with different values`);
    tags[name] = value;
  }
  return Object.keys(tags).length === 0 ? undefined : tags;
}

function parseEvery(p: URLSearchParams, problems: string[]): bigint | undefined {
  const text = p.get("every");
  if (text === null) return undefined;
  const d = parseDurationNs(text);
  if (!d.ok) problems.push(`every: ${d.error}`);
  else if (d.value <= 0n) problems.push("every must be positive");
  else return d.value;
  return undefined;
}

function parseAggregate(p: URLSearchParams, problems: string[]): Aggregate | undefined {
  const agg = p.get("agg");
  if (agg === null) return undefined;
  if (agg === "mean" || agg === "last" || agg === "min" || agg === "max" || agg === "increase") {
    if (!p.has("every")) problems.push("agg needs every");
    return agg;
  }
  problems.push(`agg must be mean, last, min, max or increase, not "${agg}"`);
  return undefined;
}

function parseLimit(p: URLSearchParams, dflt: number, max: number, problems: string[]): number {
  const text = p.get("limit");
  if (text === null) return dflt;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) problems.push(`limit must be an integer in 1..${max}, not "${text}"`);
  return n;
}
