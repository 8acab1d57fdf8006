// Reading the run's CPU profile for the rules (record results.profile: perf record -e cpu-clock per machine, split
// per end by the iperf3 process): each end's measured terms as shares of that process's CPU samples and as
// microseconds per packet. Pure; defensive like read.ts (a record read back from JSON, or from an older version).
import { TERMS, type Term } from "../run/profile.ts";
import { num } from "./read.ts";
import type { DiagnosedRun } from "./types.ts";

/** Samples per end below which its shares are too coarse to use (one sample is over 1 % of the end). */
export const MIN_PROFILE_SAMPLES = 100;

export interface EndTerms {
  role: "sender" | "receiver";
  /** "measured", or why not ("unavailable: ..."). */
  status: string;
  /** Samples of this end's iperf3 process (0 when not measured). */
  samples: number;
  /** Per term: % of the process's samples. */
  pct: Partial<Record<Term, number>>;
  /** Per term: microseconds of CPU per packet of the model's size. */
  us: Partial<Record<Term, number>>;
}

/** The run's two ends' profiles; undefined when the record has no profile (the run asked for none, or predates it). */
export function endTerms(run: DiagnosedRun): EndTerms[] | undefined {
  const p = (run.results as { profile?: unknown } | undefined)?.profile as { ends?: unknown } | null | undefined;
  if (!p || typeof p !== "object" || !Array.isArray(p.ends)) return undefined;
  const out: EndTerms[] = [];
  for (const raw of p.ends as unknown[]) {
    const e = raw as Record<string, unknown> | null;
    if (!e || typeof e !== "object" || (e["role"] !== "sender" && e["role"] !== "receiver")) continue;
    const status = typeof e["status"] === "string" ? (e["status"] as string).slice(0, 300) : "unavailable: no status";
    const samples = num(e["samples"]) ?? 0;
    const ts = (e["term_samples"] ?? {}) as Record<string, unknown>;
    const us = (e["us_per_packet"] ?? {}) as Record<string, unknown>;
    const end: EndTerms = { role: e["role"], status, samples: status === "measured" && samples > 0 ? samples : 0, pct: {}, us: {} };
    for (const t of TERMS) {
      const n = num(ts[t]);
      if (end.samples > 0 && n !== undefined && n >= 0) end.pct[t] = Math.min(100, (n / end.samples) * 100);
      const u = num(us[t]);
      if (u !== undefined && u >= 0) end.us[t] = u;
    }
    out.push(end);
  }
  return out;
}

/** "copies 31 %, checksum 38 %, stack 12 %": the terms of an end from the largest, those of at least minPct. */
export function termsText(e: EndTerms, minPct = 1): string {
  const parts = TERMS.filter((t) => (e.pct[t] ?? 0) >= minPct)
    .sort((a, b) => (e.pct[b] ?? 0) - (e.pct[a] ?? 0))
    .map((t) => `${t} ${(e.pct[t] ?? 0).toFixed(0)} %`);
  return parts.length === 0 ? "no term over 1 %" : parts.join(", ");
}
