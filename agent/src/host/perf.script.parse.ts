// Reads `perf script -F comm,pid,tid,time,period,ip,sym` output line by line into samples. Pure and incremental
// (a 10 s system-wide profile with call chains is tens of MB of text; nothing here holds more than one sample).
//
// With call chains (perf record -g) a sample is a header line and one frame line per stack frame, leaf first,
// then a blank line:
//   iperf3 12173/12173 23345.769900:    1001001
//   	ffffffff82251fb9 _raw_spin_unlock_irqrestore
//   	ffffffff8208056b tcp_write_xmit
// Without them the leaf frame ends the header line: `iperf3 11837/11837 23318.605740: 1001001 ffffffff81ba48a0 _copy_from_iter`.
// A thread name may hold spaces and slashes ("CPU 0/KVM", "npm exec tsc -p"); perf truncates it to 15 characters.
import { ParseError } from "@eastwest/common";

export interface ScriptSample {
  comm: string;
  pid: number;
  tid: number;
  /** perf's timestamp, seconds (the kernel's clock, not the wall clock). */
  timeS: number;
  /** The sample's period: nanoseconds of CPU time it stands for (cpu-clock). */
  periodNs: number;
  /** Symbols, leaf first; "[unknown]" where perf could not resolve one. */
  frames: string[];
}

/** Frames kept per sample; deeper ones are dropped (classification needs the first few dozen at most). */
export const MAX_FRAMES = 64;
/** Bad lines quoted in the result; more are only counted. */
const MAX_QUOTED = 5;
/** Characters of a line looked at; the rest is cut (C++ template symbols run to thousands). */
const MAX_LINE = 1024;

const HEADER = /^\s*(.+?)\s+(-?\d+)\/(-?\d+)\s+(?:\[\d+\]\s+)?(\d+\.\d+):\s+(\d+)(?:\s+(?:cpu-clock:\S*\s+)?([0-9a-f]+)\s+(.*?))?\s*$/;
const FRAME = /^\s+([0-9a-f]+)\s+(.*?)\s*$/;

export interface ScriptStats {
  samples: number;
  badLines: number;
  /** The first few bad lines, shortened and escaped. */
  quoted: string[];
}

/** Feeds lines in order; `onSample` gets each sample once its last frame was read. */
export class PerfScriptReader {
  readonly stats: ScriptStats = { samples: 0, badLines: 0, quoted: [] };
  #current: ScriptSample | undefined;
  readonly #onSample: (s: ScriptSample) => void;

  constructor(onSample: (s: ScriptSample) => void) {
    this.#onSample = onSample;
  }

  line(raw: string): void {
    const line = (raw.endsWith("\r") ? raw.slice(0, -1) : raw).slice(0, MAX_LINE);
    if (line.trim() === "") return this.#flush();
    const frame = /^\s/.test(line) ? FRAME.exec(line) : null;
    if (frame !== null && this.#current !== undefined) {
      if (this.#current.frames.length < MAX_FRAMES) this.#current.frames.push(symbolOf(frame[2] ?? ""));
      return;
    }
    const h = HEADER.exec(line);
    if (h === null) return this.#bad(line);
    this.#flush();
    const [pid, tid, timeS, periodNs] = [Number(h[2]), Number(h[3]), Number(h[4]), Number(h[5])];
    if (![pid, tid, timeS, periodNs].every(Number.isFinite) || periodNs <= 0 || periodNs > 1e12) return this.#bad(line);
    this.#current = { comm: (h[1] ?? "").trim(), pid, tid, timeS, periodNs, frames: h[7] !== undefined ? [symbolOf(h[7])] : [] };
  }

  /** Ends the input: the last sample is delivered. */
  end(): ScriptStats {
    this.#flush();
    return this.stats;
  }

  #flush(): void {
    const s = this.#current;
    this.#current = undefined;
    if (s === undefined) return;
    this.stats.samples += 1;
    this.#onSample(s);
  }

  #bad(line: string): void {
    this.#flush();
    this.stats.badLines += 1;
    if (this.stats.quoted.length < MAX_QUOTED) this.stats.quoted.push(JSON.stringify(line.slice(0, 120)));
  }
}

/** "tcp_sendmsg (/lib/modules/...)" -> "tcp_sendmsg": a dso in parentheses, when printed, is not part of the name. */
function symbolOf(text: string): string {
  const s = text.replace(/\s+\([^()]*\)$/, "").trim();
  return s === "" ? "[unknown]" : s.slice(0, 256);
}

/**
 * Every sample of a whole `perf script` text (tests, small inputs). Throws ParseError when the text holds no
 * sample but does hold lines: it is not perf script output (or not in the -F form above).
 */
export function parsePerfScript(text: string): { samples: ScriptSample[]; stats: ScriptStats } {
  const samples: ScriptSample[] = [];
  const reader = new PerfScriptReader((s) => samples.push(s));
  for (const line of text.split("\n")) reader.line(line);
  const stats = reader.end();
  notScriptOutput(stats);
  return { samples, stats };
}

/** ParseError when nothing but bad lines was read. */
export function notScriptOutput(stats: ScriptStats): void {
  if (stats.samples === 0 && stats.badLines > 0) {
    throw new ParseError("perf script", `not perf script output (-F comm,pid,tid,time,period,ip,sym): ${stats.badLines} unreadable line(s), first ${stats.quoted[0] ?? ""}`);
  }
}
