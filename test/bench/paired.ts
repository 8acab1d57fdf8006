// Paired differences between throughput with and without eastwest, and the verdict on them.
//
// The estimate is a 20 % trimmed mean of the per-pair differences with the Tukey-McLaughlin standard error
// (the winsorized standard deviation over (1 - 2 * 0.2) * sqrt(n)); Wilcox, "Introduction to Robust Estimation
// and Hypothesis Testing", ch. 3. why: on a shared VM a few pairs catch a stall of the whole guest (one 0.5 s
// interval of iperf3 falls from 31 to 19 Gbit/s while the rest stay within 2 %); the plain mean and its SE are
// dominated by those few pairs, the trimmed mean is not, and for symmetric noise both estimate the same shift.

export interface Pair {
  none: number;
  agents: number;
}

export interface Estimate {
  /** Difference (agents - none) in % of none. */
  pct: number;
  /** Its standard error in percentage points (NaN below 2 pairs). */
  sePct: number;
}

export const TRIM = 0.2;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => (xs.length < 2 ? Number.NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** Per-pair differences in % of that pair's none. */
export function differences(pairs: readonly Pair[]): number[] {
  return pairs.map((p) => ((p.agents - p.none) / p.none) * 100);
}

/** Mean of the per-pair differences and its standard error. */
export function meanDifference(pairs: readonly Pair[]): Estimate {
  const d = differences(pairs);
  return { pct: mean(d), sePct: sd(d) / Math.sqrt(d.length) };
}

/** The `trim` trimmed mean of the per-pair differences and its Tukey-McLaughlin standard error. */
export function trimmedDifference(pairs: readonly Pair[], trim = TRIM): Estimate {
  if (!(trim >= 0 && trim < 0.5)) throw new RangeError(`trim: expected [0, 0.5), got ${trim}`);
  const d = differences(pairs).sort((a, b) => a - b);
  const n = d.length;
  if (n === 0) return { pct: Number.NaN, sePct: Number.NaN };
  const g = Math.floor(trim * n);
  const kept = d.slice(g, n - g);
  const lo = d[g] as number;
  const hi = d[n - g - 1] as number;
  const winsorized = d.map((x) => Math.min(Math.max(x, lo), hi));
  return { pct: mean(kept), sePct: sd(winsorized) / ((1 - 2 * trim) * Math.sqrt(n)) };
}

export type Verdict = "ok" | "MISS" | "not resolved";

/**
 * ok when the whole interval pct ± 2 SE lies within ±limitPct, MISS when it lies wholly outside, else
 * "not resolved" (the measurement cannot tell; more pairs or longer runs needed).
 */
export function judge(e: Estimate, limitPct: number): Verdict {
  const half = Number.isFinite(e.sePct) ? 2 * e.sePct : Number.POSITIVE_INFINITY;
  if (Math.abs(e.pct) + half < limitPct) return "ok";
  if (Math.abs(e.pct) - half >= limitPct) return "MISS";
  return "not resolved";
}
