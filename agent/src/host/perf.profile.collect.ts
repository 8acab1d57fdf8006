// A system-wide CPU profile over a window, for runs: `perf record -e cpu-clock -F <hz> -a [-g]` into a temporary
// file for the window, then `perf script`, read as a stream (tens of MB for a 10 s window with call chains) into
// samples per cost term per process (perf.profile.summary.ts). cpu-clock is a software event: it needs no PMU.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CommandError, errorMessage, nowNs, ParseError } from "@eastwest/common";
import type { Exec } from "../runtime/exec.ts";
import { perfFailureReason } from "./perf.failure.ts";
import { ProfileAccumulator, type ProfileResult } from "./perf.profile.summary.ts";
import { notScriptOutput, PerfScriptReader } from "./perf.script.parse.ts";
import { isNotFound } from "./tool.ts";

export interface ProfileOptions {
  exec: Exec;
  /** Recording window, ms (100 .. 600000). */
  durationMs: number;
  /** Samples per second per CPU (1 .. 4999). */
  frequencyHz: number;
  /** Kernel and user call chains (-g): lets a sample taken where interrupts come back on count for its caller. */
  callGraph: boolean;
  signal?: AbortSignal;
  /** Where the temporary perf.data goes (default: the OS temp directory); removed before returning. */
  tmpDir?: string;
}

/** Frames perf script prints per sample (classification looks at the first few; deeper ones cost only time). */
export const SCRIPT_MAX_STACK = 24;
const SCRIPT_TIMEOUT_MS = 120_000;

/** perf arguments of the two steps (argument arrays, no shell). */
export function profileArgs(file: string, o: Pick<ProfileOptions, "durationMs" | "frequencyHz" | "callGraph">): { record: string[]; script: string[] } {
  return {
    // why: -k CLOCK_MONOTONIC puts sample times on a clock the agent can map to its wall clock; --no-buildid
    // skips a build-id pass over every binary touched that costs about a second after the window (perf 6.1).
    record: ["record", "-e", "cpu-clock", "-F", String(o.frequencyHz), "-a", ...(o.callGraph ? ["-g"] : []), "-k", "CLOCK_MONOTONIC", "--no-buildid", "-o", file, "--", "sleep", String(o.durationMs / 1000)],
    script: ["script", "-i", file, "-F", "comm,pid,tid,time,period,ip,sym", "--max-stack", String(SCRIPT_MAX_STACK)],
  };
}

function check(o: ProfileOptions): string | undefined {
  if (!Number.isInteger(o.durationMs) || o.durationMs < 100 || o.durationMs > 600_000) return `durationMs must be an integer in 100..600000, got ${o.durationMs}`;
  if (!Number.isInteger(o.frequencyHz) || o.frequencyHz < 1 || o.frequencyHz > 4999) return `frequencyHz must be an integer in 1..4999, got ${o.frequencyHz}`;
  return undefined;
}

function unavailable(err: unknown): { available: false; reason: string } {
  if (isNotFound(err)) return { available: false, reason: "unavailable: perf not found (install linux-perf)" };
  const stderr = err instanceof CommandError ? err.stderr : "";
  return { available: false, reason: `unavailable: ${perfFailureReason(stderr) ?? `perf record: ${errorMessage(err)}`}` };
}

/** Runs perf script and feeds its stdout to `reader` line by line; rejects with perf's stderr when it fails. */
function streamScript(args: readonly string[], reader: PerfScriptReader, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("perf", [...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" }, signal, timeout: SCRIPT_TIMEOUT_MS });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 65_536) stderr += d.toString("utf8");
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on("line", (l) => reader.line(l));
    child.once("error", (e: NodeJS.ErrnoException) => reject(new CommandError(e.code === "ENOENT" ? "perf: not found" : `perf script: ${e.message}`, null, stderr, { cause: e })));
    child.once("close", (code, sig) => {
      if (code === 0) resolve();
      else reject(new CommandError(`perf script exited with ${code ?? sig}: ${stderr.trim().split("\n").at(-1) ?? ""}`, code, stderr));
    });
  });
}

/**
 * Records a CPU profile for `durationMs` and sums it into terms. Never throws for tool failures: perf missing or
 * not permitted give `{ available: false, reason: "unavailable: ..." }`. Bad options throw.
 */
export async function collectProfile(o: ProfileOptions): Promise<ProfileResult> {
  const bad = check(o);
  if (bad !== undefined) throw new RangeError(`collectProfile: ${bad}`);
  const dir = await mkdtemp(join(o.tmpDir ?? tmpdir(), "eastwest-profile-"));
  try {
    const args = profileArgs(join(dir, "perf.data"), o);
    const startNs = nowNs();
    try {
      await o.exec("perf", args.record, { signal: o.signal, timeoutMs: o.durationMs + 30_000 });
    } catch (err) {
      return unavailable(err);
    }
    const endNs = nowNs();
    const acc = new ProfileAccumulator();
    const reader = new PerfScriptReader((s) => acc.sample(s));
    try {
      await streamScript(args.script, reader, o.signal);
      const stats = reader.end();
      notScriptOutput(stats);
      if (stats.samples === 0) return { available: false, reason: "unavailable: perf record took no cpu-clock samples in the window" };
      const monoToWallNs = nowNs() - process.hrtime.bigint();
      return acc.summary({ frequencyHz: o.frequencyHz, callGraph: o.callGraph, startNs, endNs, monoToWallNs }, stats);
    } catch (err) {
      if (err instanceof ParseError) return { available: false, reason: `unavailable: ${err.message}` };
      return unavailable(err);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
