// A campaign spec file read for the CLI: every problem names the file (and the line, for YAML), exit 78.
import { readFileSync } from "node:fs";
import { ConfigError, errorMessage } from "@eastwest/common";
import { parseCampaignSpec, readSpecText } from "@eastwest/collector";

export interface SpecFile {
  text: string;
  format: "yaml" | "json";
  /** The parsed document (not yet validated as a spec). */
  doc: Record<string, unknown>;
}

function named(path: string, err: unknown): never {
  if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => `${path}: ${p}`), { cause: err });
  throw err;
}

/** Reads and parses `path` (.json as JSON, anything else as YAML). */
export function readSpecFile(path: string): SpecFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read the spec: ${errorMessage(err)}`], { cause: err });
  }
  const format = path.endsWith(".json") ? "json" : "yaml";
  try {
    const doc = readSpecText(text, format);
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(["(spec): expected a mapping of keys (name, cells, …)"]);
    return { text, format, doc: doc as Record<string, unknown> };
  } catch (err) {
    return named(path, err);
  }
}

/** Validates a whole spec (endpoints included) before anything is sent or built. */
export function validateSpecFile(path: string, f: SpecFile): void {
  try {
    parseCampaignSpec(f.text, f.format);
  } catch (err) {
    named(path, err);
  }
}
