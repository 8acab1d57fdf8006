// Reading deploy/ for the deploy tests: YAML documents, the configurations the
// programs would load (checked by the programs' own loaders), tool probes.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { ConfigError } from "@eastwest/common";
import { loadAgentConfig, type AgentConfig } from "../../../agent/src/config.ts";
import { loadCollectorConfig, type CollectorConfig } from "../../../collector/src/config.ts";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const DEPLOY = join(REPO, "deploy");

export function read(rel: string): string {
  return readFileSync(join(DEPLOY, rel), "utf8");
}

/** Every YAML document of a file; a parse error or warning throws naming the file. */
export function yamlDocs(rel: string): unknown[] {
  const docs = parseAllDocuments(read(rel), { prettyErrors: true, strict: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${rel}: empty YAML stream`);
  const out: unknown[] = [];
  for (const d of docs) {
    const problems = [...d.errors, ...d.warnings].map((e) => e.message);
    if (problems.length > 0) throw new Error(`${rel}: ${problems.join("; ")}`);
    out.push(d.toJS({ maxAliasCount: 0 }));
  }
  return out;
}

/** Files under deploy/<dir> with one of the extensions, as paths relative to deploy/. */
export function listDeploy(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(DEPLOY, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...listDeploy(rel, exts));
    else if (exts.some((x) => e.name.endsWith(x))) out.push(rel);
  }
  return out.sort();
}

function withTempFile<T>(name: string, text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "eastwest-deploy-"));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(err: unknown): string {
  return err instanceof ConfigError ? err.problems.join("; ") : String(err);
}

/** The agent configuration this YAML text gives, as the agent loads it (env as given, no flags). */
export function agentConfigOf(text: string, env: Record<string, string> = {}, what = "agent config"): AgentConfig {
  try {
    return withTempFile("agent.yaml", text, (file) => loadAgentConfig({ file, env, flags: {} }));
  } catch (err) {
    throw new Error(`${what}: ${problemsOf(err)}`, { cause: err });
  }
}

export function collectorConfigOf(text: string, env: Record<string, string> = {}, what = "collector config"): CollectorConfig {
  try {
    return withTempFile("collector.yaml", text, (file) => loadCollectorConfig({ file, env, flags: {} }));
  } catch (err) {
    throw new Error(`${what}: ${problemsOf(err)}`, { cause: err });
  }
}

/** The path of a binary on PATH (or /usr/sbin, /sbin), or undefined. */
export function which(name: string): string | undefined {
  for (const d of [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/sbin"]) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** Runs a program (argument array): exit code (null when killed) and stdout + stderr; never throws. */
export function run(file: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): { code: number | null; output: string } {
  const r = spawnSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000 });
  return { code: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}
