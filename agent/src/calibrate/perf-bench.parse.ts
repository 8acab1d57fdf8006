// Parsers for the default (human) output format of `perf bench mem memcpy` and `perf bench syscall basic`.
// Pure: text in, numbers out; anything else is a ParseError.
import { ParseError } from "@eastwest/common";

/** One bandwidth line of `perf bench mem memcpy`. */
export interface MemcpyRate {
  /** From "# function 'name' (...)"; null in perf versions that print none (before Linux 4.1). */
  function: string | null;
  /** Bytes per second. */
  bytes_per_s: number;
  /** The "(with prefault)" line of perf before Linux 4.1: buffers touched before timing. */
  prefault: boolean;
}

// why: perf's print_bps divides by K = 1024, so its "KB", "MB", "GB" are KiB, MiB, GiB (all versions).
const UNIT: Readonly<Record<string, number>> = { bytes: 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

// " 24.128382 GB/sec" (Linux >= 4.1), " 3.255208 GB/Sec" and "... (with prefault)" (older); the KB form
// carries a stray "d" ("%14lfd KB/sec") in every version.
const RATE_RE = /^\s*(\d+(?:\.\d+)?)d?\s+(bytes|B|KB|MB|GB)\/sec(\s+\(with prefault\))?\s*$/i;
const FUNCTION_RE = /^#\s*function\s+'([^']+)'/;
const NO_TIME_RE = /^\s*[-+]?(inf|nan)\S*\s+(bytes|B|KB|MB|GB)\/sec/im;
const CYCLES_RE = /cycles?\/byte/i;

/** Every bandwidth line, in output order. Throws ParseError when there is none. */
export function parseMemcpyRates(text: string): MemcpyRate[] {
  if (NO_TIME_RE.test(text)) throw new ParseError("perf bench mem memcpy", "no elapsed time measured (inf/nan rate): raise --nr_loops");
  if (CYCLES_RE.test(text)) throw new ParseError("perf bench mem memcpy", "cycles-per-byte output carries no bandwidth: run without --cycles");
  const rates: MemcpyRate[] = [];
  let fn: string | null = null;
  for (const line of text.split("\n")) {
    const f = FUNCTION_RE.exec(line);
    if (f) fn = f[1] ?? null;
    const m = RATE_RE.exec(line);
    if (!m) continue;
    const bytesPerS = Number(m[1]) * (UNIT[(m[2] ?? "").toLowerCase()] ?? Number.NaN);
    if (!(bytesPerS > 0) || !Number.isFinite(bytesPerS)) throw new ParseError("perf bench mem memcpy", `unusable rate line ${JSON.stringify(line.trim())}`);
    rates.push({ function: fn, bytes_per_s: bytesPerS, prefault: m[3] !== undefined });
  }
  if (rates.length === 0) throw new ParseError("perf bench mem memcpy", "no bandwidth line (\"<n> GB/sec\") in output");
  return rates;
}

/**
 * The copy bandwidth of one function, bytes per second: its "(with prefault)" line where perf prints one
 * (page faults are not copy cost), else its only line. Output without function names counts as `fn`.
 */
export function parseMemcpy(text: string, fn = "default"): number {
  const rates = parseMemcpyRates(text).filter((r) => r.function === null || r.function === fn);
  const chosen = rates.find((r) => r.prefault) ?? rates[0];
  if (chosen === undefined) throw new ParseError("perf bench mem memcpy", `no bandwidth line for function '${fn}'`);
  return chosen.bytes_per_s;
}

export interface SyscallBench {
  /** The call timed, e.g. "getppid()"; null when the header is missing. */
  call: string | null;
  /** Calls executed; null when the header is missing. */
  calls: number | null;
  /** Microseconds per call. */
  us_per_op: number;
  /** Calls per second as printed; null when absent. */
  ops_per_s: number | null;
}

// "# Executed 1000000 getppid() calls"; perf prints counts with %'d, grouped where the locale groups digits.
const EXECUTED_RE = /^#\s*Executed\s+([\d,.' ]+?)\s+(\S+)\s+calls\s*$/m;
const USECS_RE = /^\s*(\d+(?:\.\d+)?)\s+usecs\/op\s*$/m;
const OPS_RE = /^\s*(\d[\d,.' ]*)\s+ops\/sec\s*$/m;

function digits(s: string | undefined): number | null {
  const d = (s ?? "").replace(/\D/g, "");
  return d === "" ? null : Number(d);
}

/** `perf bench syscall basic` output -> cost per call. Throws ParseError without a positive rate. */
export function parseSyscallBasic(text: string): SyscallBench {
  const header = EXECUTED_RE.exec(text);
  const usecs = USECS_RE.exec(text);
  const ops = digits(OPS_RE.exec(text)?.[1]);
  let usPerOp = usecs ? Number(usecs[1]) : Number.NaN;
  if (!(usPerOp > 0) && ops !== null && ops > 0) usPerOp = 1e6 / ops;
  if (!(usPerOp > 0) || !Number.isFinite(usPerOp)) {
    const why = usecs || ops !== null ? "no elapsed time measured: raise --loop" : "no \"usecs/op\" or \"ops/sec\" line in output";
    throw new ParseError("perf bench syscall basic", why);
  }
  return { call: header?.[2] ?? null, calls: digits(header?.[1]), us_per_op: usPerOp, ops_per_s: ops };
}
