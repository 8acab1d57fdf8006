// Paired differences between throughput with and without eastwest, and the verdict on them.
//
// The estimate is the mean of the per-pair differences with its standard error. A 20 % trimmed mean
// (Tukey-McLaughlin SE) was tried against a 200 s interleaved run per direction: the pair differences on this VM
// spread broadly (-11 to +7 %) rather than as a few outliers, and its SE came out larger (1.30 vs 0.88).

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

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
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

/**
 * The difference per stack when `stacks` copies of the stack ran: the estimate and its SE both divided by `stacks`.
 * why: the effect grows with the load and the noise does not, so N stacks resolve N times finer, provided the
 * effect is proportional to the load (a larger load filling idle time less well only makes this an overestimate).
 */
export function perStack(e: Estimate, stacks: number): Estimate {
  if (!Number.isInteger(stacks) || stacks < 1) throw new Error(`stacks: expected a whole number >= 1, got ${stacks}`);
  return { pct: e.pct / stacks, sePct: e.sePct / stacks };
}

/** The words of the results table (table.ts verdict): ok, MISS; and "not resolved". */
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
