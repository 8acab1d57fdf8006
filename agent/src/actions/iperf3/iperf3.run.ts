// Runs a long-lived tool for an action: a binary and an argument array (never a shell string),
// a deadline, an AbortSignal, bounded output. Unlike runtime/exec.ts it resolves for every exit
// status with stdout intact. why: iperf3 -J reports its errors inside the JSON on stdout and
// exits 0 or 1 depending on the version and side; exec.ts keeps only stderr on failure.
import { spawn, type ChildProcess } from "node:child_process";
import { CommandError } from "@eastwest/common";

/** Why the runner stopped the child; absent when it exited on its own. */
export type KilledFor = "timeout" | "abort" | "output";

export interface ToolRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killedFor?: KilledFor;
  /** The child's process id (a run's CPU profile finds the tool's samples by it). */
  pid?: number;
}

export interface RunOptions {
  /** Wall-clock limit (ms); then SIGTERM, and SIGKILL after killGraceMs. */
  timeoutMs: number;
  /** Aborting stops the child the same way. */
  signal?: AbortSignal;
  /** Limit on stdout + stderr (bytes); beyond it the child is stopped. Default 64 MiB. */
  maxBytes?: number;
  /** Delay between SIGTERM and SIGKILL (ms). Default 2000. */
  killGraceMs?: number;
}

/**
 * Settles only after the child has exited (never leaves a process behind).
 * Rejects only when the binary cannot be started: CommandError "<file>: not found" for ENOENT.
 */
export type RunTool = (file: string, args: readonly string[], options: RunOptions) => Promise<ToolRun>;

/** SIGTERM once, then SIGKILL after graceMs; remembers the first reason. */
function stopper(child: ChildProcess, graceMs: number) {
  let reason: KilledFor | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  return {
    reason: () => reason,
    stop(why: KilledFor): void {
      if (reason !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      reason = why;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    },
    clear: () => clearTimeout(killTimer),
  };
}

export const realRunTool: RunTool = (file, args, options) =>
  new Promise((resolve, reject) => {
    if (options.signal?.aborted) return resolve({ exitCode: null, signal: null, stdout: "", stderr: "", killedFor: "abort" });
    const child = spawn(file, [...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    const stops = stopper(child, options.killGraceMs ?? 2000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) stops.stop("output");
      else into.push(chunk);
    };
    child.stdout?.on("data", collect(out));
    child.stderr?.on("data", collect(err));
    const deadline = setTimeout(() => stops.stop("timeout"), options.timeoutMs);
    const onAbort = (): void => stops.stop("abort");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(deadline);
      stops.clear();
      options.signal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      cleanup();
      reject(new CommandError(e.code === "ENOENT" ? `${file}: not found` : `${file}: cannot start: ${e.message}`, null, "", { cause: e }));
    });
    child.once("close", (exitCode, signal) => {
      cleanup();
      const run: ToolRun = { exitCode, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ...(child.pid !== undefined ? { pid: child.pid } : {}) };
      const why = stops.reason();
      resolve(why === undefined ? run : { ...run, killedFor: why });
    });
  });
