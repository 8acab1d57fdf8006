// A campaign spec file (YAML or JSON) into a CampaignSpec. Every problem is reported at once, each with its
// path ("cells[2].set.mtu: ..."); nothing runs until the spec is valid.
import { createHash } from "node:crypto";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "@eastwest/common";
import { cellCount, changesSlug, matrixChanges, normalizeChanges } from "./matrix.ts";
import { campaignSchema, MAX_CELLS_LIMIT } from "./spec.schema.ts";
import { AXES, RUN_AXES, SETTING_AXES } from "./types.ts";
import type { ApplyOn, CampaignSpec, Knobs } from "./types.ts";

export { KNOWN_CONGESTION } from "./spec.schema.ts";

export interface SpecContext {
  /** Congestion controls the campaign's agents offer (net.ipv4.tcp_available_congestion_control); unset: the known set. */
  availableCongestion?: string[];
}

type Obj = Record<string, unknown>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out || "(top level)";
}

/** Alias expansions a YAML spec may make (yaml's own default is 100). */
const MAX_YAML_ALIASES = 100;

/** A spec text as a plain document (YAML with unique keys, bounded aliases; or JSON); ConfigError naming the line. */
export function readText(text: string, format: "yaml" | "json"): unknown {
  if (format === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigError([`not valid JSON: ${(err as Error).message}`], { cause: err });
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `not valid YAML: ${e.message.replace(/\s+/g, " ").trim()}`));
  try {
    // why: aliases expand on toJS; a few nested ones make a "billion laughs" document, which the yaml package
    // refuses past maxAliasCount with a ReferenceError: a bad spec, not a server fault.
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (err) {
    throw new ConfigError([`not valid YAML: ${(err as Error).message}`], { cause: err });
  }
}

/** Repeated cell ids (against the matrix's only when it was expanded) and explicit cells that change nothing. */
function idProblems(spec: CampaignSpec, withMatrix: boolean): string[] {
  const owner = new Map<string, string>([["baseline", "the baseline"]]);
  for (const k of withMatrix ? matrixChanges(spec) : []) owner.set(changesSlug(k), `the matrix cell ${changesSlug(k)}`);
  const problems: string[] = [];
  spec.cells.forEach((c, i) => {
    const k = normalizeChanges(spec, c.set);
    if (c.id === undefined && Object.keys(k).length === 0) {
      problems.push(`cells[${i}]: changes nothing from the baseline (give it an id to repeat the baseline on purpose)`);
      return;
    }
    const id = c.id ?? changesSlug(k);
    const prev = owner.get(id);
    if (prev) problems.push(`cells[${i}]: id ${JSON.stringify(id)} already used by ${prev}${c.id ? "" : " (give this cell an id)"}`);
    else owner.set(id, `cells[${i}]`);
  });
  return problems;
}

function tooMany(count: number, cap: number, exact: boolean): string {
  return `too many cells: ${exact ? "" : "at least "}${count} > max_cells ${cap}; use mode one_at_a_time, fewer values, explicit cells, or raise max_cells (at most ${MAX_CELLS_LIMIT})`;
}

/** Ends of the pairs whose interface some setting needs (offloads, qdisc, MTU). */
function interfaceProblems(spec: CampaignSpec): string[] {
  const ifaceAxes = SETTING_AXES.filter((a) => a !== "congestion");
  const needs = (k: Knobs | CampaignSpec["matrix"]): boolean => ifaceAxes.some((a) => k[a] !== undefined);
  const ends = new Set<ApplyOn>();
  if (needs(spec.matrix)) ends.add(spec.apply_on);
  for (const c of spec.cells) if (needs(c.set)) ends.add(c.apply_on ?? spec.apply_on);
  const problems: string[] = [];
  spec.endpoints.forEach((p, i) => {
    for (const side of ["server", "client"] as const) {
      if (p[side].interface === "" && (ends.has("both") || ends.has(side))) {
        problems.push(`endpoints[${i}].${side}.interface: required: the campaign changes offloads, qdisc or MTU on it`);
      }
    }
  });
  return problems;
}

function crossProblems(spec: CampaignSpec): string[] {
  const problems: string[] = [];
  if (spec.repetitions.max < spec.repetitions.min) problems.push(`repetitions.max: ${spec.repetitions.max} < repetitions.min ${spec.repetitions.min}`);
  const names = spec.endpoints.map((p) => p.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push(`endpoints[${i}].name: ${JSON.stringify(n)} already names endpoints[${names.indexOf(n)}]`);
  });
  const count = cellCount(spec);
  problems.push(...interfaceProblems(spec), ...idProblems(spec, count <= MAX_CELLS_LIMIT));
  if (count > spec.max_cells) problems.push(tooMany(count, spec.max_cells, true));
  return problems;
}

const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
const asObj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/** What can still be told of a spec that failed the schema: repeated explicit ids, and a lower bound of the cell count. */
function rawProblems(raw: unknown): string[] {
  const top = asObj(raw);
  const problems: string[] = [];
  const cells = Array.isArray(top.cells) ? top.cells.map(asObj) : [];
  const ids = cells.map((c) => (typeof c.id === "string" ? c.id : undefined));
  ids.forEach((id, i) => {
    if (id !== undefined && ids.indexOf(id) !== i) problems.push(`cells[${i}]: id ${JSON.stringify(id)} already used by cells[${ids.indexOf(id)}]`);
  });
  const m = asObj(top.matrix);
  const lens = AXES.map((a) => len(m[a])).filter((n) => n > 0);
  const runAxes = RUN_AXES.filter((a) => len(m[a]) > 0).length;
  const matrix = top.mode === "cartesian" ? (lens.length ? lens.reduce((p, n) => p * n, 1) - 1 : 0) : lens.reduce((s, n) => s + n, 0) - runAxes;
  const lower = (1 + matrix + cells.length) * Math.max(1, len(top.endpoints));
  const cap = typeof top.max_cells === "number" && Number.isInteger(top.max_cells) && top.max_cells >= 1 && top.max_cells <= MAX_CELLS_LIMIT ? top.max_cells : 200;
  if (lower > cap) problems.push(tooMany(lower, cap, false));
  return problems;
}

function issueProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** Parses and validates a campaign spec; throws ConfigError listing every problem. */
export function parseCampaignSpec(text: string, format: "yaml" | "json", ctx: SpecContext = {}): CampaignSpec {
  const raw = readText(text, format);
  const available = ctx.availableCongestion ? [...new Set(ctx.availableCongestion.map((s) => s.trim()).filter(Boolean))].sort() : undefined;
  const r = campaignSchema(available).safeParse(raw);
  if (!r.success) throw new ConfigError([...issueProblems(r.error.issues), ...rawProblems(raw)]);
  const spec: CampaignSpec = r.data;
  const problems = crossProblems(spec);
  if (problems.length > 0) throw new ConfigError(problems);
  return spec;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.keys(v as Obj).sort().map((k) => [k, canonical((v as Obj)[k])]));
  }
  return v;
}

/**
 * sha256 of the spec's canonical JSON, description left out: equal digests mean comparable campaigns. profile is
 * left out at its default (true), so specs from before the key keep their digest.
 */
export function specDigest(spec: CampaignSpec): string {
  const { description: _description, profile, ...rest } = spec;
  return createHash("sha256").update(JSON.stringify(canonical(profile === false ? { ...rest, profile } : rest))).digest("hex");
}
