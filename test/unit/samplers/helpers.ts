// Shared test scaffolding for sampler tests: fixture trees, a fake clock, a fixture-backed exec.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CommandError, type Sample } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec, type Exec } from "../../../agent/src/runtime/exec.ts";
import { isNotFound } from "../../../agent/src/host/tool.ts";
import type { SampleContext } from "../../../agent/src/samplers/types.ts";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));
export const BASE_TAGS = { agent_id: "test-agent", host: "test-host", netns: "test-ns" } as const;
/** Fake clock: tick 0 at an arbitrary epoch ns, tick 1 exactly one second later. */
export const T0 = 1_800_000_000_000_000_000n;
export const SECOND = 1_000_000_000n;

export function fixture(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), "utf8");
}

/** HostFs over the live capture number `tick` (0 or 1). */
export function liveFs(tick: 0 | 1): HostFs {
  return hostFs(join(FIXTURES, "proc", `live-t${tick}`), join(FIXTURES, "sys", `live-t${tick}`));
}

/** HostFs whose /proc files come from a map (for variant files); /sys is empty. */
export function mapFs(files: Readonly<Record<string, string>>): HostFs {
  const get = async (rel: string): Promise<string> => {
    const text = files[rel];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${rel}`), { code: "ENOENT" });
    return text;
  };
  const none = async (): Promise<never> => {
    throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  };
  return { procRoot: "(map)", sysRoot: "(map)", proc: get, sys: none, procDir: none, sysDir: none, procLink: none };
}

export interface RecordingExec {
  exec: Exec;
  calls: Array<{ file: string; args: readonly string[] }>;
}

/** Tool output from test/fixtures/cmd/<dir>: ss -> ss-tinH.txt, ethtool -k X, tc qdisc show dev X; `missing` tools throw ENOENT. */
export function fixtureExec(dir: string, missing: readonly string[] = []): RecordingExec {
  const calls: RecordingExec["calls"] = [];
  const exec: Exec = async (file, args) => {
    calls.push({ file, args });
    if (missing.includes(file)) {
      const cause = Object.assign(new Error(`spawn ${file} ENOENT`), { code: "ENOENT" });
      throw new CommandError(`${file}: not found`, null, "", { cause });
    }
    const name = outputFile(file, args);
    return { stdout: fixture("cmd", dir, name), stderr: "" };
  };
  return { exec, calls };
}

function outputFile(file: string, args: readonly string[]): string {
  if (file === "ss") return args[0] === "-V" ? "META" : "ss-tinH.txt";
  if (file === "ethtool" && args[0] === "-k") return `ethtool-k-${args[1]}.txt`;
  if (file === "tc" && args.join(" ").startsWith("qdisc show dev ")) return `tc-qdisc-${args[3]}.txt`;
  if (file === "tc" && args.join(" ") === "qdisc show") return "tc-qdisc-all.txt";
  throw new Error(`fixtureExec: no fixture for ${file} ${args.join(" ")}`);
}

export function ctx(fs: HostFs, nowNs: bigint, extra: Partial<SampleContext> = {}): SampleContext {
  const noExec: Exec = async (file) => {
    throw new Error(`unexpected exec of ${file}`);
  };
  return { nowNs, signal: new AbortController().signal, fs, exec: noExec, baseTags: BASE_TAGS, options: {}, ...extra };
}

/** The one point of `measurement` whose tag `key` is `value`. */
export function pointWith(points: readonly Sample[], measurement: string, key?: string, value?: string): Sample {
  const found = points.filter((p) => p.measurement === measurement && (key === undefined || p.tags[key] === value));
  if (found.length !== 1) throw new Error(`expected one ${measurement} point with ${key}=${value}, found ${found.length}`);
  return found[0] as Sample;
}

/** Every number field is finite (no NaN / Infinity). */
export function allFinite(points: readonly Sample[]): boolean {
  return points.every((p) => Object.values(p.fields).every((v) => typeof v !== "number" || Number.isFinite(v)));
}

/**
 * Requires an external tool for a test: skips when it is missing, but fails under CI=true
 * (a missing binary on CI is a broken image, not a reason to pass).
 */
export async function requireTool(test: Mocha.Context, file: string, args: readonly string[]): Promise<void> {
  try {
    await realExec(file, args, { timeoutMs: 5000 });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (process.env["CI"] === "true") throw new Error(`${file} is required under CI=true but was not found`, { cause: err });
    test.skip();
  }
}
