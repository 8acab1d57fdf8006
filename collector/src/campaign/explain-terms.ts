// Measured terms against the baseline: per end, the CPU time per packet of each profile term (the run's perf
// cpu-clock profile, diagnosis/profile.ts) as the median over a cell's runs, and the terms that moved. A term that
// costs more per packet makes the cell slower (adverse), one that costs less makes it faster (favourable). This is
// where a campaign says "sender checksum 0 -> 2.5 us per packet" or "receiver copies 5.8 -> 11 us": measured, not
// the model's count. Pure.
import { endTerms, MIN_PROFILE_SAMPLES } from "../diagnosis/profile.ts";
import type { DiagnosedRun } from "../diagnosis/types.ts";
import { EXPLAINING, type Term } from "../run/profile.ts";
import { quantile } from "./stats.ts";

type End = "sender" | "receiver";
/** A term counts as changed when it moves by at least this much CPU time per packet (a tenth of a copy's ~5 us here)… */
export const TERM_MIN_US = 0.5;
/** …and by at least this share of the baseline's (as a finding's key figure, explain.ts KEY_CHANGE_PCT). */
export const TERM_CHANGE_PCT = 25;

/** One run's measured terms per end: us per packet and % of the end's iperf3 CPU. */
export type RunTerms = Partial<Record<End, { us: Partial<Record<Term, number>>; pct: Partial<Record<Term, number>> }>>;

export interface TermChange {
  end: End;
  term: Term;
  from_us: number;
  to_us: number;
  from_pct: number | null;
  to_pct: number | null;
  direction: "adverse" | "favourable";
}

/** The run's terms (what the CPU did for the traffic: EXPLAINING, not idle or other processes), or undefined when its
 * record has no end profiled with enough samples. */
export function runTermsOf(run: DiagnosedRun): RunTerms | undefined {
  const out: RunTerms = {};
  for (const e of endTerms(run) ?? []) {
    if (e.samples < MIN_PROFILE_SAMPLES || out[e.role]) continue;
    const us: Partial<Record<Term, number>> = {};
    const pct: Partial<Record<Term, number>> = {};
    for (const t of EXPLAINING) {
      us[t] = e.us[t] ?? 0;
      pct[t] = e.pct[t] ?? 0;
    }
    out[e.role] = { us, pct };
  }
  return out.sender || out.receiver ? out : undefined;
}

/** The median; null without values. */
const median = (xs: readonly number[]): number | null => (xs.length === 0 ? null : quantile([...xs].sort((a, b) => a - b), 0.5));
const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;

function medianOf(runs: readonly RunTerms[], end: End, term: Term, what: "us" | "pct"): number | null {
  return median(runs.map((r) => r[end]?.[what]?.[term]).filter(finite));
}

/** Terms that moved between the baseline's runs and the cell's, the largest change per packet first. */
export function termChanges(baseline: readonly RunTerms[], cell: readonly RunTerms[]): TermChange[] {
  const out: TermChange[] = [];
  for (const end of ["sender", "receiver"] as const) {
    for (const term of EXPLAINING) {
      const [from, to] = [medianOf(baseline, end, term, "us"), medianOf(cell, end, term, "us")];
      if (from === null || to === null) continue;
      const d = Math.abs(to - from);
      if (d < TERM_MIN_US || (d / Math.max(from, 1e-9)) * 100 < TERM_CHANGE_PCT) continue;
      out.push({ end, term, from_us: from, to_us: to, from_pct: medianOf(baseline, end, term, "pct"), to_pct: medianOf(cell, end, term, "pct"), direction: to > from ? "adverse" : "favourable" });
    }
  }
  return out.sort((a, b) => Math.abs(b.to_us - b.from_us) - Math.abs(a.to_us - a.from_us));
}

const fig = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

/** "sender checksum 0 -> 2.5 us per packet (0 -> 7 % of iperf3's CPU)". */
export function termChangeText(c: TermChange): string {
  const share = c.from_pct !== null && c.to_pct !== null ? ` (${c.from_pct.toFixed(0)} -> ${c.to_pct.toFixed(0)} % of iperf3's CPU)` : "";
  return `${c.end} ${c.term} ${c.from_us === 0 ? "0" : fig(c.from_us)} -> ${fig(c.to_us)} us per packet${share}`;
}
