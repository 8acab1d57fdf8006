// Calibration of this host's cost-model constants from microbenchmarks (Debian's `perf bench`).
// A constant that cannot be measured keeps its default, with measured=false and the reason in detail.
import { errorMessage, nowNs } from "@eastwest/common";
import type { Calibration, CalibrationConstant } from "@eastwest/proto";
import type { Exec } from "../runtime/exec.ts";
import { parseMemcpy, parseSyscallBasic } from "./perf-bench.parse.ts";

/** Values used when a constant is not measured. Units in the names. */
export interface CalibrationDefaults {
  /** Packet size the per-copy cost is computed for, bytes. */
  packet_bytes: number;
  copy_bytes_per_s: number;
  /** Cost of one copy of packet_bytes, microseconds. */
  copy_us: number;
  syscall_us: number;
  exit_us: number;
}

/** The study's constants (the collector's PAPER_CONSTANTS; a test keeps the two equal). */
export const DEFAULT_CALIBRATION: Readonly<CalibrationDefaults> = Object.freeze({
  packet_bytes: 65_536,
  copy_bytes_per_s: 52e9,
  copy_us: 1.2,
  syscall_us: 0.5,
  exit_us: 0.5,
});

export interface CalibrateOptions {
  exec: Exec;
  defaults?: CalibrationDefaults;
  signal?: AbortSignal;
  /** Seam for a guest agent: resolves to microseconds per VM exit (e.g. from a CPUID loop). */
  exitCost?: () => Promise<number>;
  /** perf binary; default "perf" on PATH. */
  perf?: string;
  /** Runs per benchmark; the median is kept. Default 5. */
  repeats?: number;
  /** Unix epoch nanoseconds; default the wall clock. */
  now?: () => bigint;
}

type Outcome = { ok: true; value: number; detail: string } | { ok: false; reason: string };

/** Bytes copied per packet-size run (enough for gettimeofday's 1 us resolution); DRAM runs copy half. */
const COPY_TOTAL_BYTES = 2 ** 30;
/** Buffer beyond most last-level caches, for the DRAM reference figure. */
const DRAM_COPY_BYTES = 64 * 1024 * 1024;
const SYSCALL_LOOPS = 1_000_000;
const RUN_TIMEOUT_MS = 30_000;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

/** perf's size argument: "64KB" where whole KiB, else "<n>B". */
export function perfSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MB`;
  return bytes % 1024 === 0 ? `${bytes / 1024}KB` : `${bytes}B`;
}

export function memcpyArgs(bytes: number, loops: number): string[] {
  return ["bench", "mem", "memcpy", "-s", perfSize(bytes), "-l", String(loops), "-f", "default"];
}

export function syscallArgs(loops: number): string[] {
  return ["bench", "syscall", "basic", "-l", String(loops)];
}

/** Runs one benchmark `repeats` times; the median of the parsed values, or why not. Rethrows on abort. */
async function bench(opts: CalibrateOptions, args: string[], parse: (text: string) => number, show: (x: number) => string): Promise<Outcome> {
  const perf = opts.perf ?? "perf";
  const values: number[] = [];
  try {
    for (let i = 0; i < Math.max(1, Math.floor(opts.repeats ?? 5)); i++) {
      opts.signal?.throwIfAborted();
      const { stdout } = await opts.exec(perf, args, { signal: opts.signal, timeoutMs: RUN_TIMEOUT_MS });
      values.push(parse(stdout));
    }
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ok: false, reason: `unavailable: ${perf} ${args.join(" ")}: ${errorMessage(err)}` };
  }
  const spread = `median of ${values.length} runs (min ${show(Math.min(...values))}, max ${show(Math.max(...values))})`;
  return { ok: true, value: median(values), detail: spread };
}

const gbps = (bytesPerS: number) => `${(bytesPerS / 1e9).toFixed(2)} GB/s`;
const micros = (us: number) => `${Number(us.toPrecision(3))} us`;

function constant(name: string, outcome: Outcome, method: string, fallback: number): CalibrationConstant {
  return outcome.ok
    ? { name, value: outcome.value, measured: true, method, detail: outcome.detail }
    : { name, value: fallback, measured: false, method: "default", detail: outcome.reason };
}

async function exitOutcome(opts: CalibrateOptions): Promise<Outcome> {
  if (!opts.exitCost) return { ok: false, reason: "unavailable: needs a guest-side CPUID loop" };
  try {
    const us = await opts.exitCost();
    if (us > 0 && Number.isFinite(us)) return { ok: true, value: us, detail: "guest-side exit loop" };
    return { ok: false, reason: `unavailable: guest exit loop returned ${us} us` };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ok: false, reason: `unavailable: guest exit loop: ${errorMessage(err)}` };
  }
}

/**
 * Measures copy bandwidth (packet-size buffers, and DRAM-size buffers for reference), system-call cost and,
 * through the exitCost seam, VM-exit cost. Benchmarks run one after another, never concurrently.
 * Constants: copy_bytes_per_s, copy_us (packet_bytes / copy_bytes_per_s), syscall_us, exit_us,
 * dram_copy_bytes_per_s (reference only: not a model constant).
 */
export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const d = opts.defaults ?? DEFAULT_CALIBRATION;
  const loops = Math.max(1, Math.round(COPY_TOTAL_BYTES / d.packet_bytes));
  const copyArgs = memcpyArgs(d.packet_bytes, loops);
  const copy = await bench(opts, copyArgs, (t) => parseMemcpy(t), gbps);
  const dramArgs = memcpyArgs(DRAM_COPY_BYTES, Math.max(1, Math.round(COPY_TOTAL_BYTES / DRAM_COPY_BYTES / 2)));
  const dram = await bench(opts, dramArgs, (t) => parseMemcpy(t), gbps);
  const sysArgs = syscallArgs(SYSCALL_LOOPS);
  const syscall = await bench(opts, sysArgs, (t) => parseSyscallBasic(t).us_per_op, micros);
  const exit = await exitOutcome(opts);
  const copyUs: Outcome = copy.ok ? { ok: true, value: (d.packet_bytes / copy.value) * 1e6, detail: `${d.packet_bytes} B / copy_bytes_per_s` } : copy;
  return {
    constants: [
      constant("copy_bytes_per_s", copy, `perf ${copyArgs.join(" ")}`, d.copy_bytes_per_s),
      constant("copy_us", copyUs, "derived from copy_bytes_per_s", d.copy_us),
      constant("syscall_us", syscall, `perf ${sysArgs.join(" ")} (getppid: entry/exit cost only)`, d.syscall_us),
      constant("exit_us", exit, opts.exitCost ? "guest exit loop" : "default", d.exit_us),
      constant("dram_copy_bytes_per_s", dram, `perf ${dramArgs.join(" ")} (reference, not a model constant)`, d.copy_bytes_per_s),
    ],
    timeNs: (opts.now ?? nowNs)(),
  };
}
