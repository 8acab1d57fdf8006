// Validation of incoming batches (pure). A batch is accepted whole or
// rejected whole with every reason found (up to a cap), so the agent's
// operator can fix the producer; nothing is partially stored.
import { NAME_RE, measurement, fromWirePoint, type Sample } from "@eastwest/common";
import type { Batch, Hello } from "@eastwest/proto";

export const LIMITS = {
  maxPoints: 50_000,
  maxTags: 32,
  maxFields: 256,
  maxTagValueLength: 256,
  maxStringFieldLength: 4096,
  maxFutureNs: 24n * 3600n * 1_000_000_000n,
  minTimeNs: 946_684_800n * 1_000_000_000n, // 2000-01-01
  maxReasons: 10,
};

export const AGENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export type Validation = { ok: true; points: Sample[] } | { ok: false; reason: string };

const TYPE_OF: Record<string, string> = { f: "float", i: "int", u: "uint", b: "bool", s: "string" };

type WirePoint = Batch["points"][number];

// why: a batch repeats a few point shapes (measurement, tag keys, field names and types) hundreds of
// times; names and schema conformance are checked once per shape, values on every point.
const shapeCache = new Map<string, readonly string[]>();
const SHAPE_CACHE_MAX = 10_000;

function shapeKey(p: WirePoint): string {
  return `${p.measurement}\u0000${Object.keys(p.tags).join(",")}\u0000${Object.keys(p.fields).join(",")}`;
}

/** Problems that depend only on the point's shape, without the "point i" prefix. */
function shapeProblems(p: WirePoint): readonly string[] {
  const key = shapeKey(p);
  const cached = shapeCache.get(key);
  if (cached) return cached;
  const out: string[] = [];
  if (!NAME_RE.test(p.measurement)) out.push("measurement name must be snake_case");
  const tagKeys = Object.keys(p.tags);
  const fieldKeys = Object.keys(p.fields);
  if (tagKeys.length > LIMITS.maxTags) out.push(`more than ${LIMITS.maxTags} tags`);
  if (fieldKeys.length === 0) out.push("no fields");
  if (fieldKeys.length > LIMITS.maxFields) out.push(`more than ${LIMITS.maxFields} fields`);
  for (const k of tagKeys) {
    if (!NAME_RE.test(k)) out.push(`tag ${JSON.stringify(k)} must be snake_case`);
    if (k in p.fields) out.push(`tag ${k} shares a name with a field`);
  }
  const def = measurement(p.measurement);
  if (def) {
    const want = [...def.tags].sort().join(",");
    const got = [...tagKeys].sort().join(",");
    if (want !== got) out.push(`tags {${got}} differ from the schema's {${want}}`);
  }
  for (const k of fieldKeys) {
    if (!NAME_RE.test(k)) out.push(`field ${JSON.stringify(k)} must be snake_case`);
    if (def && !def.fields[k]) out.push(`field ${k} is not in the schema`);
  }
  if (shapeCache.size >= SHAPE_CACHE_MAX) shapeCache.clear();
  shapeCache.set(key, out);
  return out;
}

/** Problems of this point's values (time, tag lengths, floats, strings, signs). */
function valueProblems(p: WirePoint, nowNs: bigint, out: string[]): void {
  if (p.timeNs < LIMITS.minTimeNs || p.timeNs > nowNs + LIMITS.maxFutureNs) out.push(`time_ns ${p.timeNs} outside 2000-01-01 .. now+24h`);
  for (const k in p.tags) if ((p.tags[k] as string).length > LIMITS.maxTagValueLength) out.push(`tag ${k} longer than ${LIMITS.maxTagValueLength}`);
  const declaredTypes = measurement(p.measurement)?.fields;
  for (const k in p.fields) {
    const v = p.fields[k]?.value;
    if (!v) {
      out.push(`field ${k} has no value`);
      continue;
    }
    if (v.$case === "f" && !Number.isFinite(v.value)) out.push(`field ${k} is not finite`);
    else if (v.$case === "s" && v.value.length > LIMITS.maxStringFieldLength) out.push(`field ${k} longer than ${LIMITS.maxStringFieldLength}`);
    const declared = declaredTypes?.[k];
    if (declared !== undefined && declared !== TYPE_OF[v.$case] && !typeCompatible(declared, v)) out.push(`field ${k} is ${TYPE_OF[v.$case]}, schema says ${declared}`);
  }
}

/** uint accepts a non-negative int; int accepts a uint (range is the store's concern). */
function typeCompatible(declared: string, v: NonNullable<WirePoint["fields"][string]["value"]>): boolean {
  return (declared === "uint" && v.$case === "i" && v.value >= 0n) || (declared === "int" && v.$case === "u");
}

function pointProblems(p: WirePoint, i: number, nowNs: bigint): string[] {
  const found = [...shapeProblems(p)];
  valueProblems(p, nowNs, found);
  if (found.length === 0) return found;
  const at = `point ${i} (${p.measurement || "?"})`;
  return found.map((f) => `${at}: ${f}`);
}

/** Checks a batch against the wire rules and the schema. `helloAgentId` is the stream's identity, if any. */
export function validateBatch(b: Batch, nowNs: bigint, helloAgentId?: string): Validation {
  const reasons: string[] = [];
  if (!AGENT_ID_RE.test(b.agentId)) reasons.push(`agent_id ${JSON.stringify(b.agentId)} is not a valid agent id`);
  if (helloAgentId !== undefined && b.agentId !== helloAgentId) reasons.push(`agent_id ${b.agentId} differs from the stream's hello (${helloAgentId})`);
  if (b.seq < 1n) reasons.push("seq must be >= 1");
  if (b.points.length === 0) reasons.push("batch has no points");
  if (b.points.length > LIMITS.maxPoints) reasons.push(`batch has ${b.points.length} points, limit ${LIMITS.maxPoints}`);
  for (let i = 0; i < b.points.length && reasons.length < LIMITS.maxReasons; i++) {
    reasons.push(...pointProblems(b.points[i] as Batch["points"][number], i, nowNs));
  }
  if (reasons.length > 0) {
    const shown = reasons.slice(0, LIMITS.maxReasons);
    const more = reasons.length > shown.length ? `; and more` : "";
    return { ok: false, reason: shown.join("; ") + more };
  }
  return { ok: true, points: b.points.map(fromWirePoint) };
}

export function validateHello(h: Hello): string[] {
  const out: string[] = [];
  if (!AGENT_ID_RE.test(h.agentId)) out.push(`agent_id ${JSON.stringify(h.agentId)} is not a valid agent id`);
  if (h.hostname.length > 255) out.push("hostname longer than 255");
  if (h.capabilities.length > 256) out.push("more than 256 capabilities");
  for (const c of h.capabilities) {
    if (!c.available && !c.reason.startsWith("unavailable: ")) out.push(`capability ${c.sampler}: reason must start with "unavailable: "`);
  }
  return out;
}
