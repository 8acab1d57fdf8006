// Validation of incoming batches (pure), the step after decode.ts. A batch is
// accepted whole or rejected whole with every reason found (up to a cap), so
// the agent's operator can fix the producer; nothing is partially stored.
// Batches come decoded, with each point's shape and the value problems the
// decoder saw; this module never decodes.
import { NAME_RE, measurement, type Sample } from "@eastwest/common";
import type { Hello } from "@eastwest/proto";
import { LIMITS, parseShape, type DecodedBatch, type DecodeProblem, type Shape } from "./decode.ts";
import { DEFAULT_LIMITS, limitOf, type IngestLimits, type LimitName } from "./limits.ts";

export const AGENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Writer ids of the collector's own points (run/runner.ts, ingest/self-report.ts): no agent may take them. */
const RESERVED_ID_RE = /^eastwest-(runs$|collector\.)/;

/** A refusal names the limits it exceeded (each once), for the collector's per-limit counts. */
export type Validation = { ok: true; points: Sample[] } | { ok: false; reason: string; limits: LimitName[] };

const TYPE_OF: Record<string, string> = { f: "float", i: "int", u: "uint", b: "bool", s: "string", "-": "unset" };

/** What a point's shape implies: problems that hold for every point of it, and the value checks it still needs. */
interface ShapeVerdict {
  problems: readonly string[];
  /** Fields sent as int where the schema says uint: each value must be >= 0. */
  nonNegative: readonly string[];
  /** Checked against the limits per point, so that the cache holds for any limits. */
  tagCount: number;
  fieldCount: number;
}

// why: a batch repeats a few point shapes (measurement, tag keys, field names and wire types) hundreds
// of times; names, limits and schema conformance are checked once per shape, values on every point.
const shapeCache = new Map<string, ShapeVerdict>();
const SHAPE_CACHE_MAX = 10_000;

function verdictOf(key: string): ShapeVerdict {
  const cached = shapeCache.get(key);
  if (cached) return cached;
  const v = analyse(parseShape(key));
  if (shapeCache.size >= SHAPE_CACHE_MAX) shapeCache.clear();
  shapeCache.set(key, v);
  return v;
}

function analyse(shape: Shape): ShapeVerdict {
  const out: string[] = [];
  const nonNegative: string[] = [];
  const fieldNames = new Set(shape.fields.map((f) => f.name));
  if (!NAME_RE.test(shape.measurement)) out.push("measurement name must be snake_case");
  if (fieldNames.size === 0) out.push("no fields");
  // why: the decoders keep the last of repeated map entries, but the shape and series keys list every one.
  if (fieldNames.size < shape.fields.length) out.push("a field appears twice");
  if (new Set(shape.tags).size < shape.tags.length) out.push("a tag appears twice");
  for (const k of shape.tags) {
    if (!NAME_RE.test(k)) out.push(`tag ${JSON.stringify(k)} must be snake_case`);
    if (fieldNames.has(k)) out.push(`tag ${k} shares a name with a field`);
  }
  const def = measurement(shape.measurement);
  if (def) {
    const want = [...def.tags].sort().join(",");
    const got = [...shape.tags].sort().join(",");
    if (want !== got) out.push(`tags {${got}} differ from the schema's {${want}}`);
  }
  for (const name of fieldNames) {
    if (!NAME_RE.test(name)) out.push(`field ${JSON.stringify(name)} must be snake_case`);
    else if (def && !def.fields[name]) out.push(`field ${name} is not in the schema`);
  }
  for (const { name, type } of shape.fields) {
    const declared = def?.fields[name];
    if (declared === undefined || type === "-" || declared === TYPE_OF[type]) continue;
    // uint accepts a non-negative int; int accepts a uint (range is the store's concern).
    if (declared === "uint" && type === "i") nonNegative.push(name);
    else if (!(declared === "int" && type === "u")) out.push(`field ${name} is ${TYPE_OF[type]}, schema says ${declared}`);
  }
  return { problems: out, nonNegative, tagCount: shape.tags.length, fieldCount: shape.fields.length };
}

/** Checks a decoded batch against the wire rules, the limits and the schema. `helloAgentId` is the stream's identity, if any. */
export function validateBatch(b: DecodedBatch, nowNs: bigint, helloAgentId?: string, limits: IngestLimits = DEFAULT_LIMITS): Validation {
  const reasons: string[] = [];
  if (!AGENT_ID_RE.test(b.agentId)) reasons.push(`agent_id ${JSON.stringify(b.agentId.slice(0, 140))} is not a valid agent id`);
  if (RESERVED_ID_RE.test(b.agentId)) reasons.push(`agent_id ${b.agentId.slice(0, 140)} is reserved for the collector's own points`);
  if (helloAgentId !== undefined && b.agentId !== helloAgentId) reasons.push(`agent_id ${b.agentId.slice(0, 140)} differs from the stream's hello (${helloAgentId})`);
  if (b.seq < 1n) reasons.push("seq must be >= 1");
  if (b.points.length === 0) reasons.push("batch has no points");
  if (b.points.length > limits.maxPointsPerBatch) reasons.push(`limit maxPointsPerBatch: batch has ${b.points.length} points, limit ${limits.maxPointsPerBatch}`);
  const measurements = new Set<string>();
  for (const p of b.points) measurements.add(p.measurement);
  if (measurements.size > limits.maxMeasurementsPerBatch) reasons.push(`limit maxMeasurementsPerBatch: batch has ${measurements.size} measurements, limit ${limits.maxMeasurementsPerBatch}`);
  const exceeded = new Set<LimitName>();
  for (const r of reasons) addLimit(exceeded, r);
  const maxNs = nowNs + LIMITS.maxFutureNs;
  const decodeProblems = problemsByPoint(b.problems);
  // why: one reason past the cap is enough to know that "and more" must be said.
  for (let i = 0; i < b.points.length && reasons.length <= LIMITS.maxReasons; i++) {
    const p = b.points[i] as Sample;
    const v = verdictOf(b.shapes[i] as string);
    const found = [...v.problems];
    if (v.tagCount > limits.maxTagsPerPoint) found.push(`limit maxTagsPerPoint: ${v.tagCount} tags, limit ${limits.maxTagsPerPoint}`);
    if (v.fieldCount > limits.maxFieldsPerPoint) found.push(`limit maxFieldsPerPoint: ${v.fieldCount} fields, limit ${limits.maxFieldsPerPoint}`);
    if (p.timeNs < LIMITS.minTimeNs || p.timeNs > maxNs) found.push(`time_ns ${p.timeNs} outside 2000-01-01 .. now+24h`);
    for (const name of v.nonNegative) if ((p.fields[name] as bigint) < 0n) found.push(`field ${name} is int, schema says uint`);
    found.push(...(decodeProblems.get(i) ?? []));
    for (const f of found) addLimit(exceeded, f);
    if (found.length > 0) reasons.push(...found.map((f) => `point ${i} (${p.measurement.slice(0, 64) || "?"}): ${f}`));
  }
  if (reasons.length > 0) {
    const shown = reasons.slice(0, LIMITS.maxReasons);
    const more = reasons.length > shown.length ? `; and more` : "";
    return { ok: false, reason: shown.join("; ") + more, limits: [...exceeded] };
  }
  return { ok: true, points: b.points };
}

function addLimit(to: Set<LimitName>, text: string): void {
  const l = limitOf(text);
  if (l) to.add(l);
}

function problemsByPoint(problems: readonly DecodeProblem[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const p of problems) {
    const list = out.get(p.point);
    if (list) list.push(p.text);
    else out.set(p.point, [p.text]);
  }
  return out;
}

/** Problems of a hello; those over a limit start with "limit <name>: ". */
export function validateHello(h: Hello, limits: IngestLimits = DEFAULT_LIMITS): string[] {
  const out: string[] = [];
  if (!AGENT_ID_RE.test(h.agentId)) out.push(`agent_id ${JSON.stringify(h.agentId.slice(0, 140))} is not a valid agent id`);
  if (RESERVED_ID_RE.test(h.agentId)) out.push(`agent_id ${h.agentId.slice(0, 140)} is reserved for the collector's own points`);
  if (h.hostname.length > 255) out.push("hostname longer than 255");
  if (h.capabilities.length > 256) out.push("more than 256 capabilities");
  const max = limits.maxHelloFieldLength;
  const long = helloStrings(h).find(([, v]) => v.length > max);
  if (long) out.push(`limit maxHelloFieldLength: ${long[0]} is ${long[1].length} characters, limit ${max}`);
  for (const c of h.capabilities) {
    if (!c.available && !c.reason.startsWith("unavailable: ")) out.push(`capability ${c.sampler.slice(0, 64)}: reason must start with "unavailable: "`);
  }
  return out;
}

/** Every string a hello carries, named. */
function helloStrings(h: Hello): [string, string][] {
  const out: [string, string][] = [["kernel", h.kernel], ["machine_uuid", h.machineUuid], ["netns", h.netns], ["agent_version", h.agentVersion], ["cpu_model", h.cpuModel]];
  for (const c of h.capabilities) out.push(["capability sampler", c.sampler], ["capability reason", c.reason]);
  for (const [k, v] of Object.entries(h.toolVersions)) out.push(["tool_versions key", k], ["tool_versions value", v]);
  for (const c of h.calibration?.constants ?? []) out.push(["calibration name", c.name], ["calibration method", c.method], ["calibration detail", c.detail]);
  return out;
}
