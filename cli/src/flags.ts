// Shared flag handling: node:util parseArgs, errors reported as ConfigError
// (exit 78), and the config-file/print-config conventions every program shares.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, EXIT_CONFIG, errorMessage, setPath, tlsFileProblems, toJson, type TlsPaths } from "@eastwest/common";
import type { CliIo } from "./types.ts";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface FlagMap {
  /** flag name -> config path and type */
  [flag: string]: { path: string[]; type: "string" | "number" | "boolean" | "list" | "json" };
}

export const COMMON_OPTIONS: OptionSpec = {
  config: { type: "string", short: "c" },
  "print-config": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  flags: Record<string, unknown>;
  /** Flag values that did not convert; pass to the config loader so all errors show at once. */
  problems: string[];
}

/** sysexits.h EX_USAGE: the command was used wrongly (an unknown flag, a flag without its value, a stray argument). */
export const EXIT_USAGE = 64;

/** The exit for a list of command-line problems: 64 when one is a usage error (unknown flag, stray argument), else 78. */
export function exitFor(problems: readonly string[]): number {
  return problems.some((p) => /^(unknown flag|unexpected argument)|given more than once/.test(p)) ? EXIT_USAGE : EXIT_CONFIG;
}

/** A command line that cannot be parsed at all; exit 64 with a pointer to --help. */
export class UsageError extends Error {}

/** Parses argv; unknown flags are a UsageError (exit 64); bad values become ConfigError problems (78, all at once). */
export function parseFlags(argv: string[], options: OptionSpec, map: FlagMap, allowPositionals = false): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(errorMessage(err), { cause: err });
  }
  const problems: string[] = [];
  const flags: Record<string, unknown> = {};
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [flag, spec] of Object.entries(map)) {
    const v = values[flag];
    if (v === undefined) continue;
    if (spec.type === "number") {
      const n = Number(v);
      if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) problems.push(`--${flag}: expected a number, got ${JSON.stringify(v)}`);
      else setPath(flags, spec.path, n);
    } else if (spec.type === "json") {
      try {
        setPath(flags, spec.path, JSON.parse(String(v)));
      } catch (err) {
        problems.push(`--${flag}: expected JSON: ${errorMessage(err)}`);
      }
    } else if (spec.type === "list") setPath(flags, spec.path, String(v).split(",").map((x) => x.trim()).filter(Boolean));
    else setPath(flags, spec.path, v);
  }
  return { values, positionals: parsed.positionals, flags, problems };
}

/** Runs a command body, mapping UsageError to exit 64 and ConfigError to exit 78 with every problem listed. */
export async function withConfigErrors(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`eastwest: ${err.message}\nRun with --help for the flags.\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr(`eastwest: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
}

/** Keys whose values are secrets; not http.tokenFile (a path), http.localToken (a switch) or headersTimeoutMs. */
const SECRET = /(token|password|headers)$/i;

/** A copy with secrets (tokens, passwords, header values) replaced, for printing. */
export function redact(value: unknown, key = ""): unknown {
  if (SECRET.test(key) && typeof value !== "boolean" && value !== "" && value !== undefined && value !== null && !(typeof value === "object" && Object.keys(value).length === 0)) return "<redacted>";
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  return value;
}

/** Checks a TLS section's files before anything starts; ConfigError (exit 78) with every problem. */
export function checkTlsFiles(label: string, paths: TlsPaths): void {
  const problems = tlsFileProblems(label, paths);
  if (problems.length > 0) throw new ConfigError(problems);
}

export function printConfig(io: CliIo, config: unknown): number {
  io.stdout(toJson(redact(config), 2) + "\n");
  return 0;
}
