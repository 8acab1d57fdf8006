// Command-line flags as data: node:util parseArgs in its lenient mode, then every problem collected at
// once (unknown flags, missing values, repeats, stray arguments) instead of stopping at the first. Pure.
import { parseArgs } from "node:util";

export interface FlagDef {
  type: "string" | "boolean";
  short?: string;
}

export type FlagSpec = Readonly<Record<string, FlagDef>>;

export interface ParsedFlags {
  /** Flags given, by long name: string values, or true for booleans. */
  values: Record<string, string | boolean>;
  problems: string[];
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const { tokens } = parseArgs({ args: [...argv], options: spec, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      problems.push(`unexpected argument ${JSON.stringify(token.value)}`);
      continue;
    }
    if (token.kind !== "option") continue;
    const problem = checkOption(token.name, token.rawName, token.value, token.inlineValue, spec);
    if (problem !== undefined) problems.push(problem);
    else if (token.name in values) problems.push(`${token.rawName} given more than once`);
    else values[token.name] = token.value ?? true;
  }
  return { values, problems };
}

function checkOption(
  name: string,
  raw: string,
  value: string | undefined,
  inline: boolean | undefined,
  spec: FlagSpec,
): string | undefined {
  const def = Object.hasOwn(spec, name) ? spec[name] : undefined;
  if (def === undefined) return `unknown flag ${raw}`;
  if (def.type === "boolean") return value === undefined ? undefined : `${raw} takes no value`;
  if (value === undefined) return `${raw} needs a value`;
  if (!inline && value.startsWith("--")) return `${raw} needs a value (got ${value})`;
  return undefined;
}
