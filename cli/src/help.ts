// Flag help generated from what the program really reads: the flag map (flag -> config path), the config's
// defaults and its environment bindings. So `--help` cannot drift from the flags: a flag without a description is
// a test failure (test/unit/config/help.test.ts), and defaults and variables come from the schema's own tables.
import type { FlagMap } from "./flags.ts";

export interface FlagDoc {
  /** The value's placeholder, e.g. PORT, FILE; none for a boolean. */
  arg?: string;
  /** What the flag does, one short sentence (wrapped by the generator). */
  text: string;
}

interface EnvBinding {
  name: string;
  path: readonly string[];
}

const WIDTH = 100;
const COLUMN = 28;

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const k of path) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function shown(v: unknown): string | undefined {
  if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return undefined;
  return Array.isArray(v) ? v.join(",") : typeof v === "object" ? undefined : String(v);
}

/** Wraps words (each kept whole, e.g. "[env NAME]") into lines of at most `width`, where a word allows. */
function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) (lines.push(line), (line = word));
    else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The flags section: one entry per flag in `map`, with its default (from `defaults`) and variable (from `env`). */
export function flagHelp(map: FlagMap, docs: Readonly<Record<string, FlagDoc>>, defaults: unknown, env: readonly EnvBinding[]): string {
  const out: string[] = [];
  for (const [flag, spec] of Object.entries(map)) {
    const doc = docs[flag];
    if (!doc) throw new Error(`--${flag}: no help text`);
    const head = `  --${flag}${spec.type === "boolean" ? "" : ` ${doc.arg ?? "VALUE"}`}`;
    const def = spec.type === "boolean" ? undefined : shown(at(defaults, spec.path));
    const variable = env.find((e) => e.path.join(".") === spec.path.join("."))?.name;
    const words = [...`${doc.text}${def !== undefined ? ` (default ${def})` : ""}`.split(/\s+/).filter(Boolean), ...(variable ? [`[env ${variable}]`] : [])];
    const body = wrap(words, WIDTH - COLUMN);
    if (head.length + 2 <= COLUMN) out.push(head.padEnd(COLUMN) + (body.shift() ?? ""));
    else out.push(head);
    for (const l of body) out.push(" ".repeat(COLUMN) + l);
  }
  return out.join("\n") + "\n";
}
