// Configuration precedence as one pure function: defaults < file < env < flags.
// The loader is the only code that reads process.env (passed in as `env`).
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConfigError, errorMessage } from "./errors.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

/** An env variable mapped onto a config path, e.g. EASTWEST_COLLECTOR -> ["collector", "address"]. */
export interface EnvBinding {
  name: string;
  path: string[];
  type: "string" | "number" | "boolean" | "json";
}

export interface LoadInput<S extends z.ZodType> {
  schema: S;
  defaults: Obj;
  file?: string;
  env: Readonly<Record<string, string | undefined>>;
  envBindings: readonly EnvBinding[];
  flags: Obj;
  /** Top-level key of this program's section in a shared file ("agent", "collector"); the file may also be flat. */
  section?: string;
  /** Problems found earlier (e.g. flag parsing), reported together with the rest. */
  problems?: readonly string[];
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge where later layers win; arrays replace; undefined never overrides. */
export function mergeLayers(...layers: Obj[]): Obj {
  const out: Obj = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      out[k] = isObj(v) && isObj(out[k]) ? mergeLayers(out[k] as Obj, v) : v;
    }
  }
  return out;
}

export function setPath(target: Obj, path: readonly string[], value: unknown): void {
  let cur = target;
  for (const key of path.slice(0, -1)) {
    if (!isObj(cur[key])) cur[key] = {};
    cur = cur[key] as Obj;
  }
  cur[path[path.length - 1] as string] = value;
}

export function readConfigFile(file: string, section?: string): { value: Obj; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return { value: {}, problems: [`config file ${file}: ${errorMessage(err)}`] };
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    return { value: {}, problems: [`config file ${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${errorMessage(err)}`] };
  }
  if (parsed === null || parsed === undefined) return { value: {}, problems: [] };
  if (!isObj(parsed)) return { value: {}, problems: [`config file ${file}: top level must be a mapping`] };
  if (section && isObj(parsed[section])) return { value: parsed[section] as Obj, problems: [] };
  return { value: parsed, problems: [] };
}

export function envLayer(env: LoadInput<z.ZodType>["env"], bindings: readonly EnvBinding[]): { value: Obj; problems: string[] } {
  const value: Obj = {};
  const problems: string[] = [];
  for (const b of bindings) {
    const raw = env[b.name];
    if (raw === undefined || raw === "") continue;
    const v = convertEnv(raw, b.type);
    if (v.ok) setPath(value, b.path, v.value);
    else problems.push(`env ${b.name}=${JSON.stringify(raw)}: ${v.reason}`);
  }
  return { value, problems };
}

function convertEnv(raw: string, type: EnvBinding["type"]): { ok: true; value: unknown } | { ok: false; reason: string } {
  switch (type) {
    case "string":
      return { ok: true, value: raw };
    case "number": {
      const n = Number(raw);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, reason: "expected a number" };
    }
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(raw)) return { ok: true, value: true };
      if (/^(0|false|no|off)$/i.test(raw)) return { ok: true, value: false };
      return { ok: false, reason: "expected true or false" };
    case "json":
      try {
        return { ok: true, value: JSON.parse(raw) };
      } catch {
        return { ok: false, reason: "expected JSON" };
      }
  }
}

/** Merges every layer, validates with the program's schema, reports every problem at once. */
export function loadConfig<S extends z.ZodType>(input: LoadInput<S>): z.infer<S> {
  const file = input.file ? readConfigFile(input.file, input.section) : { value: {}, problems: [] };
  const env = envLayer(input.env, input.envBindings);
  const problems = [...(input.problems ?? []), ...file.problems, ...env.problems];
  const merged = mergeLayers(input.defaults, file.value, env.value, input.flags);
  const result = input.schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** JSON.stringify that renders bigint exactly. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v), indent);
}
