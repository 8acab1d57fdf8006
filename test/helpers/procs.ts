// Test helpers: start eastwest programs and real servers as child processes,
// wait on events (output lines, HTTP state), kill by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url));

/** `eastwest agent` flags allowing what a run asks of an agent (iperf3 traffic, holding its samples); agents are monitor-only by default. */
export const RUN_ACTIONS: readonly string[] = ["--actions", JSON.stringify({ traffic: true, hold: true })];

export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<Proc>();

/** Starts the eastwest CLI. `prefix` runs it under another command (e.g. ip netns exec NS). */
export function start(args: string[], opts: { env?: Record<string, string>; prefix?: string[]; cwd?: string } = {}): Proc {
  const argv = [...(opts.prefix ?? []), process.execPath, CLI, ...args];
  // why: an agent stopped while its collector is down spools its unacked batches for its next start; each agent
  // a test starts gets a spool directory of its own (unless the test gives one), so that no later test's agent
  // of the same id sends them.
  const env = args[0] === "agent" && opts.env?.["EASTWEST_SPOOL_DIR"] === undefined ? { ...opts.env, EASTWEST_SPOOL_DIR: spoolDir() } : opts.env;
  return startProcess(argv[0] as string, argv.slice(1), { ...opts, env });
}

let spools: string | undefined;

/** A fresh directory under one per test process, removed when it exits. */
function spoolDir(): string {
  if (spools === undefined) {
    const root = mkdtempSync(join(tmpdir(), "eastwest-spools-"));
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    spools = root;
  }
  return mkdtempSync(join(spools, "agent-"));
}

/** Starts any program (an argument array, no shell), capturing output. */
export function startProcess(file: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Proc {
  const child = spawn(file, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, sig) => resolve(code ?? (sig ? 128 : null))));
  const p: Proc = {
    child,
    pid: child.pid as number,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      live.delete(p);
      return code;
    },
  };
  live.add(p);
  return p;
}

export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill("SIGKILL")));
}

/** Resolves with the first stdout line that parses as JSON, e.g. the collector's ports line. */
export function jsonLine<T>(p: Proc, timeoutMs = 20_000): Promise<T> {
  return waitFor(async () => {
    for (const line of p.stdout().split("\n")) {
      if (line.startsWith("{")) return JSON.parse(line) as T;
    }
    if (p.child.exitCode !== null) throw new Error(`process exited ${p.child.exitCode}: ${p.stderr().slice(-2000)}`);
    return undefined;
  }, timeoutMs, "JSON line on stdout");
}

/** Polls `probe` until it returns a value other than undefined (state-based waiting, not a sleep). */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("process exited")) throw err;
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `eastwest-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Fails (never skips) when a required binary is missing. */
export function requireBinary(name: string): string {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const d of dirs) {
    const candidate = join(d, name);
    if (d && existsSync(candidate)) return candidate;
  }
  throw new Error(`required binary ${name} is missing: install it (see README)`);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}
