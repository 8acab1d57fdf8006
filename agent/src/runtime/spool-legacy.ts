// The spool format of earlier versions, read once at start so an upgrade loses nothing: <spool.dir>/<id>.jsonl,
// written at stop, one JSON object per line and batch: {"v":1,"createdNs":"…","points":[{"m","t","f":[[name,
// kind, text]],"ns"}]}. Field kinds: "f" a double (text as String(x), NaN, ±Infinity and -0 included), "i" an
// integer (bigint), "b" a bool ("1"/"0"), "s" a string. Its batches carry no seq: the agent numbers them as new.
// Lines that do not parse are skipped and reported, and the file is kept aside as <file>.bad-<time>.
import { readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errorMessage, type FieldValue, type Sample } from "@eastwest/common";

export interface SpooledBatch {
  points: Sample[];
  createdNs: bigint;
}

const VERSION = 1;

export function legacySpoolFile(dir: string, agentId: string): string {
  return join(dir, `${agentId}.jsonl`);
}

type Field = [string, "f" | "i" | "b" | "s", string];

function field(name: string, v: FieldValue): Field {
  switch (typeof v) {
    case "number":
      return [name, "f", Object.is(v, -0) ? "-0" : String(v)]; // why: String(-0) is "0"
    case "bigint":
      return [name, "i", v.toString()];
    case "boolean":
      return [name, "b", v ? "1" : "0"];
    default:
      return [name, "s", v];
  }
}

export function encodeSpool(batches: readonly SpooledBatch[]): string {
  let out = "";
  for (const b of batches) {
    const points = b.points.map((p) => ({ m: p.measurement, t: p.tags, f: Object.entries(p.fields).map(([k, v]) => field(k, v)), ns: p.timeNs.toString() }));
    out += `${JSON.stringify({ v: VERSION, createdNs: b.createdNs.toString(), points })}\n`;
  }
  return out;
}

const INTEGER = /^-?\d+$/;

function bigintOf(text: unknown, what: string): bigint {
  if (typeof text !== "string" || !INTEGER.test(text)) throw new Error(`${what}: expected an integer string, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

function valueOf(f: unknown, where: string): [string, FieldValue] {
  if (!Array.isArray(f) || f.length !== 3 || typeof f[0] !== "string" || typeof f[2] !== "string") throw new Error(`${where}: expected [name, kind, text]`);
  const [name, kind, text] = f as [string, unknown, string];
  switch (kind) {
    case "f": {
      const x = Number(text);
      if ((Number.isNaN(x) && text !== "NaN") || text.trim() !== text || text === "") throw new Error(`${where} ${name}: not a number: ${JSON.stringify(text)}`);
      return [name, x];
    }
    case "i":
      return [name, bigintOf(text, `${where} ${name}`)];
    case "b":
      if (text !== "1" && text !== "0") throw new Error(`${where} ${name}: expected "1" or "0"`);
      return [name, text === "1"];
    case "s":
      return [name, text];
    default:
      throw new Error(`${where} ${name}: unknown kind ${JSON.stringify(kind)}`);
  }
}

function pointOf(p: unknown, where: string): Sample {
  const o = p as { m?: unknown; t?: unknown; f?: unknown; ns?: unknown };
  if (typeof o !== "object" || o === null || typeof o.m !== "string" || o.m === "") throw new Error(`${where}: no measurement`);
  if (typeof o.t !== "object" || o.t === null || Array.isArray(o.t) || Object.values(o.t).some((v) => typeof v !== "string")) throw new Error(`${where}: tags must be strings`);
  if (!Array.isArray(o.f) || o.f.length === 0) throw new Error(`${where}: no fields`);
  const fields: Record<string, FieldValue> = {};
  for (const f of o.f) {
    const [k, v] = valueOf(f, where);
    fields[k] = v;
  }
  return { measurement: o.m, tags: o.t as Record<string, string>, fields, timeNs: bigintOf(o.ns, `${where} time`) };
}

/** Parses a spool; lines that do not parse are skipped and named in `problems`. */
export function decodeSpool(text: string): { batches: SpooledBatch[]; problems: string[] } {
  const batches: SpooledBatch[] = [];
  const problems: string[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const doc = JSON.parse(line) as { v?: unknown; createdNs?: unknown; points?: unknown };
      if (doc.v !== VERSION) throw new Error(`unknown version ${JSON.stringify(doc.v)}`);
      if (!Array.isArray(doc.points) || doc.points.length === 0) throw new Error("no points");
      const points = doc.points.map((p, j) => pointOf(p, `point ${j}`));
      batches.push({ points, createdNs: bigintOf(doc.createdNs, "createdNs") });
    } catch (err) {
      problems.push(`line ${i + 1}: ${errorMessage(err)}`);
    }
  });
  return { batches, problems };
}

/**
 * Reads and removes the spool (a missing file is an empty spool). A spool with lines that do not parse is kept
 * aside as <file>.bad-<unix ms> (`keptAs`), its good lines returned.
 */
export function takeSpool(file: string): { batches: SpooledBatch[]; problems: string[]; keptAs?: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { batches: [], problems: [] };
    throw err;
  }
  const out = decodeSpool(text);
  if (out.problems.length === 0) {
    rmSync(file, { force: true });
    return out;
  }
  const keptAs = `${file}.bad-${Date.now()}`;
  renameSync(file, keptAs);
  return { ...out, keptAs };
}
