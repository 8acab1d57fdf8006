// The model's configuration schema: the `model:` section of a config file and the per-constant flags,
// each turned into a ModelLayer for resolveConstants. Every problem is reported at once. Pure.
import { z } from "zod";
import type { ModelConstants, ModelLayer } from "./constants.ts";
import type { FlagSpec } from "./flags.ts";

const count = z.number().min(0, "must be >= 0").max(1e6, "must be <= 1e6");
const micros = z.number().min(0, "must be >= 0").max(1e9, "must be <= 1e9 us");

/** One layer of constants; unknown keys are errors. */
export const modelLayerSchema = z.strictObject({
  packet_bytes: z.number().int("must be a whole number of bytes").min(1, "must be >= 1").max(2 ** 32, "must be <= 2^32").optional(),
  copies: count.optional(),
  copy_us: micros.optional(),
  copy_bytes_per_s: z.number().gt(0, "must be > 0").max(1e15, "must be <= 1e15").optional(),
  syscalls: count.optional(),
  syscall_us: micros.optional(),
  exits: count.optional(),
  exit_us: micros.optional(),
});

/** Flag name -> constant it sets. */
export const CONSTANT_FLAGS: Readonly<Record<string, keyof ModelConstants>> = {
  "packet-bytes": "packet_bytes",
  copies: "copies",
  "copy-us": "copy_us",
  "copy-bytes-per-s": "copy_bytes_per_s",
  syscalls: "syscalls",
  "syscall-us": "syscall_us",
  exits: "exits",
  "exit-us": "exit_us",
};

export const CONSTANT_FLAG_SPEC: FlagSpec = Object.fromEntries(Object.keys(CONSTANT_FLAGS).map((f) => [f, { type: "string" }]));

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number ("1.2", "52e9"), or the problem. */
export function parseNumber(label: string, raw: string): { value: number } | { problem: string } {
  const s = raw.trim();
  return NUMBER_RE.test(s) ? { value: Number(s) } : { problem: `${label}: not a number (got ${JSON.stringify(raw)})` };
}

const BOTH_COPY = "give the per-copy cost or the copy bandwidth, not both";

interface LayerResult {
  layer: ModelLayer;
  problems: string[];
}

function validate(input: Record<string, unknown>, label: (key: string) => string): LayerResult {
  const problems: string[] = [];
  const result = modelLayerSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
      if (issue.code === "unrecognized_keys") problems.push(`${label("")}unknown key(s) ${key}`);
      else problems.push(`${label(key)}: ${issue.message} (got ${JSON.stringify(input[key])})`);
    }
  }
  return { layer: result.success ? result.data : {}, problems };
}

/** The layer set by constant flags (string values from parseFlags). */
export function layerFromFlags(values: Readonly<Record<string, string | boolean>>): LayerResult {
  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  const flagOf: Record<string, string> = {};
  for (const [flag, key] of Object.entries(CONSTANT_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== "string") continue;
    flagOf[key] = `--${flag}`;
    const n = parseNumber(`--${flag}`, raw);
    if ("problem" in n) problems.push(n.problem);
    else input[key] = n.value;
  }
  const checked = validate(input, (key) => flagOf[key] ?? `--${key}`);
  if (flagOf.copy_us !== undefined && flagOf.copy_bytes_per_s !== undefined) problems.push(`--copy-us and --copy-bytes-per-s: ${BOTH_COPY}`);
  return { layer: checked.layer, problems: [...problems, ...checked.problems] };
}

/** The layer of a parsed config document's `model:` section; a document without one sets nothing. */
export function layerFromDocument(doc: unknown, source: string): LayerResult {
  if (doc === null || doc === undefined) return { layer: {}, problems: [] };
  if (typeof doc !== "object" || Array.isArray(doc)) return { layer: {}, problems: [`${source}: top level must be a mapping`] };
  const section = (doc as Record<string, unknown>).model;
  if (section === undefined || section === null) return { layer: {}, problems: [] };
  if (typeof section !== "object" || Array.isArray(section)) return { layer: {}, problems: [`${source}: model: must be a mapping`] };
  const input = section as Record<string, unknown>;
  const checked = validate(input, (key) => (key === "" ? `${source}: model: ` : `${source}: model.${key}`));
  if (input.copy_us !== undefined && input.copy_bytes_per_s !== undefined) checked.problems.push(`${source}: model.copy_us and model.copy_bytes_per_s: ${BOTH_COPY}`);
  return checked;
}
