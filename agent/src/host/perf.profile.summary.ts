// A CPU profile's samples summed into the cost terms (perf.terms.ts), for the whole system and per process.
// Pure: feed samples, then take the summary document the collectProfile command answers with.
import { classify, PROFILE_TERMS, type ProfileTerm } from "./perf.terms.ts";
import type { ScriptSample, ScriptStats } from "./perf.script.parse.ts";

/** Samples per term; terms without samples are left out. */
export type TermSamples = Partial<Record<ProfileTerm, number>>;

export interface ProcessProfile {
  /** Process id (thread group); samples of all its threads. */
  pid: number;
  /** Its main thread's latest name (after exec), else the latest thread name seen. */
  comm: string;
  samples: number;
  terms: TermSamples;
}

export interface ProfileSummary {
  available: true;
  event: "cpu-clock";
  frequencyHz: number;
  callGraph: boolean;
  /** Mean sample period, ns of CPU time per sample (cpu-clock: about 1e9 / frequencyHz). */
  periodNs: number;
  /** The recording window on the agent's wall clock, epoch ns: perf started .. perf ended. */
  startNs: bigint;
  endNs: bigint;
  /** The first and the last sample on the agent's wall clock, epoch ns (perf record -k CLOCK_MONOTONIC). */
  firstSampleNs: bigint;
  lastSampleNs: bigint;
  /** Samples of every CPU, idle included. */
  totalSamples: number;
  terms: TermSamples;
  /** The processes with the most samples (at most MAX_PROCESSES), then one row "(N other processes)" with pid -1. */
  processes: ProcessProfile[];
  /** Samples of threads named perf (the recording perf itself) / all non-idle samples: perf's own share of the busy CPU time, %. */
  perfOverheadPct: number | null;
  /** Lines of perf script output that were not understood (the first few quoted in errors). */
  badLines: number;
  errors: string[];
}

export type ProfileResult = ProfileSummary | { available: false; reason: string };

export const MAX_PROCESSES = 32;

interface Acc {
  comm: string;
  main: boolean;
  samples: number;
  terms: TermSamples;
}

function add(terms: TermSamples, term: ProfileTerm, n = 1): void {
  terms[term] = (terms[term] ?? 0) + n;
}

/** Sums samples as they come; `summary()` any time after. */
export class ProfileAccumulator {
  readonly #procs = new Map<number, Acc>();
  readonly #terms: TermSamples = {};
  #total = 0;
  #periodSum = 0;
  #perfSamples = 0;
  #firstS = Infinity;
  #lastS = -Infinity;

  sample(s: ScriptSample): void {
    const term = classify(s.comm, s.frames);
    this.#total += 1;
    this.#periodSum += s.periodNs;
    this.#firstS = Math.min(this.#firstS, s.timeS);
    this.#lastS = Math.max(this.#lastS, s.timeS);
    add(this.#terms, term);
    if (s.comm === "perf") this.#perfSamples += 1;
    let p = this.#procs.get(s.pid);
    if (p === undefined) {
      p = { comm: s.comm, main: s.pid === s.tid, samples: 0, terms: {} };
      this.#procs.set(s.pid, p);
    } else if (s.pid === s.tid || !p.main) {
      // why: a child forked by a threaded parent carries the parent thread's name until exec ("MainThread" for
      // iperf3 started by node); the main thread's latest name is the program's.
      p.comm = s.comm;
      p.main = p.main || s.pid === s.tid;
    }
    p.samples += 1;
    add(p.terms, term);
  }

  /** monoToWallNs: epoch ns minus CLOCK_MONOTONIC ns, taken now (sample times are CLOCK_MONOTONIC seconds). */
  summary(meta: { frequencyHz: number; callGraph: boolean; startNs: bigint; endNs: bigint; monoToWallNs: bigint }, stats: ScriptStats): ProfileSummary {
    const idle = this.#terms.idle ?? 0;
    const busy = this.#total - idle;
    const { monoToWallNs, ...rest } = meta;
    const wall = (s: number) => (Number.isFinite(s) ? BigInt(Math.round(s * 1e9)) + monoToWallNs : 0n);
    return {
      available: true,
      event: "cpu-clock",
      ...rest,
      firstSampleNs: wall(this.#firstS),
      lastSampleNs: wall(this.#lastS),
      periodNs: this.#total > 0 ? this.#periodSum / this.#total : 0,
      totalSamples: this.#total,
      terms: ordered(this.#terms),
      processes: this.#processes(),
      perfOverheadPct: busy > 0 ? (this.#perfSamples / busy) * 100 : null,
      badLines: stats.badLines,
      errors: stats.quoted.map((q) => `unreadable perf script line ${q}`),
    };
  }

  #processes(): ProcessProfile[] {
    const all = [...this.#procs.entries()].map(([pid, p]) => ({ pid, comm: p.comm, samples: p.samples, terms: ordered(p.terms) }));
    all.sort((a, b) => b.samples - a.samples || a.pid - b.pid);
    const top = all.slice(0, MAX_PROCESSES);
    const rest = all.slice(MAX_PROCESSES);
    if (rest.length === 0) return top;
    const terms: TermSamples = {};
    for (const p of rest) for (const [t, n] of Object.entries(p.terms)) add(terms, t as ProfileTerm, n);
    return [...top, { pid: -1, comm: `(${rest.length} other processes)`, samples: rest.reduce((a, p) => a + p.samples, 0), terms: ordered(terms) }];
  }
}

/** Terms in PROFILE_TERMS order, zero counts left out. */
function ordered(t: TermSamples): TermSamples {
  const out: TermSamples = {};
  for (const k of PROFILE_TERMS) if ((t[k] ?? 0) > 0) out[k] = t[k];
  return out;
}
