// VM exits by reason over a window, for runs: `perf kvm stat record` into a temporary file, then
// `perf kvm stat report --event=vmexit`. Too heavy to run continuously (it records every exit); the run
// orchestrator calls it for the length of a run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, ParseError, errorMessage } from "@eastwest/common";
import type { Exec } from "../runtime/exec.ts";
import { isNotFound } from "./tool.ts";
import { perfFailureReason } from "./perf.failure.ts";
import { exitReasonCode, type ExitVendor } from "./kvmstat.reasons.ts";
import { parseKvmStatReport, type KvmExitRow } from "./kvmstat.report.ts";

export interface ExitReasonCount {
  /** As perf prints it: "EPT_VIOLATION" (Intel), "npf" (AMD). */
  reason: string;
  /** Vendor and code when the label is a known one. */
  vendor?: ExitVendor;
  code?: number;
  count: bigint;
  countPct: number | null;
  /** Share of the total exit-handling time, %. */
  timePct: number | null;
  minTimeUs: number | null;
  maxTimeUs: number | null;
  avgTimeUs: number | null;
}

export type ExitReasons =
  | { available: true; reasons: ExitReasonCount[]; total: bigint; totalTimeUs: number; durationMs: number; lostEvents: bigint; errors: string[] }
  | { available: false; reason: string };

export interface CollectOptions {
  exec: Exec;
  /** Recording window, ms (100 .. 600000). */
  durationMs: number;
  /** Record only these processes (QEMU pids) instead of the whole host (-a). At most 64. */
  pids?: readonly number[];
  signal?: AbortSignal;
  /** Where the temporary perf.data goes (default: the OS temp directory); removed before returning. */
  tmpDir?: string;
}

const REPORT_TIMEOUT_MS = 60_000;

/** perf arguments of the two steps (argument arrays, no shell). */
export function kvmStatArgs(file: string, durationMs: number, pids?: readonly number[]): { record: string[]; report: string[] } {
  const who = pids !== undefined && pids.length > 0 ? ["-p", pids.join(",")] : ["-a"];
  return {
    record: ["kvm", "stat", "record", ...who, "-o", file, "--", "sleep", String(durationMs / 1000)],
    // why: -i is an option of `perf kvm`, not of `perf kvm stat report` (perf 6.1: "unknown switch `i'").
    report: ["kvm", "-i", file, "stat", "report", "--event=vmexit"],
  };
}

function check(o: CollectOptions): string | undefined {
  if (!Number.isInteger(o.durationMs) || o.durationMs < 100 || o.durationMs > 600_000) return `durationMs must be an integer in 100..600000, got ${o.durationMs}`;
  if (o.pids !== undefined && (o.pids.length > 64 || !o.pids.every((p) => Number.isInteger(p) && p > 0))) return "pids must be at most 64 positive integers";
  return undefined;
}

function unavailable(err: unknown): { available: false; reason: string } {
  if (isNotFound(err)) return { available: false, reason: "unavailable: perf not found (install linux-perf)" };
  const stderr = err instanceof CommandError ? err.stderr : "";
  return { available: false, reason: `unavailable: ${perfFailureReason(stderr) ?? `perf kvm stat: ${errorMessage(err)}`}` };
}

function reasonOf(r: KvmExitRow): ExitReasonCount {
  const known = exitReasonCode(r.reason);
  return {
    reason: r.reason,
    ...(known !== undefined ? { vendor: known.vendor, code: known.code } : {}),
    count: r.samples,
    countPct: r.samplesPct,
    timePct: r.timePct,
    minTimeUs: r.minTimeUs,
    maxTimeUs: r.maxTimeUs,
    avgTimeUs: r.avgTimeUs,
  };
}

/**
 * Records VM exits for `durationMs` and counts them by reason. Never throws for tool failures: perf missing,
 * no kvm tracepoints or no permission give `{ available: false, reason: "unavailable: ..." }`. Bad options throw.
 */
export async function collectExitReasons(o: CollectOptions): Promise<ExitReasons> {
  const bad = check(o);
  if (bad !== undefined) throw new RangeError(`collectExitReasons: ${bad}`);
  const dir = await mkdtemp(join(o.tmpDir ?? tmpdir(), "eastwest-kvmstat-"));
  try {
    const args = kvmStatArgs(join(dir, "perf.data.kvm"), o.durationMs, o.pids);
    let text: string;
    try {
      await o.exec("perf", args.record, { signal: o.signal, timeoutMs: o.durationMs + REPORT_TIMEOUT_MS });
      const out = await o.exec("perf", args.report, { signal: o.signal, timeoutMs: REPORT_TIMEOUT_MS });
      text = out.stderr.includes("Total Samples:") ? out.stderr : out.stdout;
    } catch (err) {
      return unavailable(err);
    }
    try {
      const report = parseKvmStatReport(text);
      const { rows, totalSamples, totalTimeUs, lostEvents, errors } = report;
      return { available: true, reasons: rows.map(reasonOf), total: totalSamples, totalTimeUs, durationMs: o.durationMs, lostEvents, errors };
    } catch (err) {
      if (err instanceof ParseError) return { available: false, reason: `unavailable: ${err.message}` };
      throw err;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
