// Summaries of repeated measurements (one number per repetition, e.g. bits/s) and Welch's two-sample test.
// Pure. Every number out is finite; a figure that cannot be computed is null and `notes` says why.
import { tQuantile, tTwoSided } from "./tdist.ts";

/** A cell's stopping rule (the spec's `repetitions`): repeat until the interval is narrow enough, within [min, max]. */
export interface Repetitions {
  min: number;
  max: number;
  /** Target relative half-width of the throughput's confidence interval, % of the mean. */
  ci_target_pct: number;
  /** Two-sided confidence level of that interval, e.g. 0.95. */
  confidence: number;
}

export interface Summary {
  /** Finite samples used; non-finite ones are dropped (see notes). */
  n: number;
  /** Two-sided level of the interval, e.g. 0.95. */
  confidence: number;
  /** null: n = 0. */
  mean: number | null;
  median: number | null;
  /** Sample standard deviation (n - 1); null: n < 2. */
  stddev: number | null;
  /** Student's t interval of the mean; null: n < 2. */
  ci_low: number | null;
  ci_high: number | null;
  half_width: number | null;
  /** half_width / |mean| x 100; 0 when half_width is 0; null when the interval is null or the mean is 0. */
  half_width_pct: number | null;
  /** Outside Tukey's fences (1.5 IQR beyond the quartiles), ascending; [] when n < 4 (not checked). */
  outliers: number[];
  /** Why a figure is null or a check was skipped. */
  notes: string[];
}

/** Quantile q (0..1) of ascending `sorted`, linear interpolation between order statistics (R type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

function meanOf(xs: readonly number[]): number {
  const sum = xs.reduce((s, x) => s + x, 0);
  return Number.isFinite(sum) ? sum / xs.length : xs.reduce((s, x) => s + x / xs.length, 0);
}

function tukeyOutliers(sorted: readonly number[]): number[] {
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  return sorted.filter((x) => x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr);
}

function emptySummary(confidence: number, notes: string[]): Summary {
  return { n: 0, confidence, mean: null, median: null, stddev: null, ci_low: null, ci_high: null, half_width: null, half_width_pct: null, outliers: [], notes };
}

function finiteOrNull(v: number, what: string, notes: string[]): number | null {
  if (Number.isFinite(v)) return v;
  notes.push(`${what} overflowed`);
  return null;
}

/** Mean, spread, Student's t interval at `confidence` (0 < c < 1) and Tukey outliers of `samples`. */
export function summarize(samples: readonly number[], confidence: number): Summary {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const xs = samples.filter((x) => Number.isFinite(x));
  const notes = xs.length < samples.length ? [`${samples.length - xs.length} non-finite sample(s) ignored`] : [];
  if (xs.length === 0) return emptySummary(confidence, [...notes, "no samples"]);
  const n = xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const mean = finiteOrNull(meanOf(xs), "mean", notes);
  const out: Summary = { ...emptySummary(confidence, notes), n, mean, median: quantile(sorted, 0.5) };
  if (n >= 4) out.outliers = tukeyOutliers(sorted);
  else notes.push("n < 4: outliers not checked");
  if (mean === null) return out;
  if (n < 2) {
    notes.push("n < 2: no standard deviation or interval");
    return out;
  }
  const sd = finiteOrNull(Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)), "stddev", notes);
  if (sd === null) return out;
  const hw = finiteOrNull((tQuantile(1 - (1 - confidence) / 2, n - 1) * sd) / Math.sqrt(n), "interval", notes);
  out.stddev = sd;
  if (hw === null) return out;
  Object.assign(out, { ci_low: mean - hw, ci_high: mean + hw, half_width: hw });
  if (hw === 0) out.half_width_pct = 0;
  else if (mean === 0) notes.push("mean is 0: no relative half-width");
  else out.half_width_pct = finiteOrNull((hw / Math.abs(mean)) * 100, "relative half-width", notes);
  return out;
}

export interface RepetitionStatus {
  more: boolean;
  reason: string;
  summary: Summary;
}

/** Whether a cell needs another repetition: n < min, or the relative half-width is above target and n < max. */
export function repetitionStatus(samples: readonly number[], rep: Repetitions): RepetitionStatus {
  const summary = summarize(samples, rep.confidence);
  const { n, half_width_pct: pct } = summary;
  if (n < rep.min) return { more: true, reason: `n ${n} < min ${rep.min}`, summary };
  if (pct !== null && pct <= rep.ci_target_pct) return { more: false, reason: `half-width ${pct.toFixed(2)} % <= target ${rep.ci_target_pct} %`, summary };
  const now = pct === null ? "undefined" : `${pct.toFixed(2)} %`;
  if (n >= rep.max) return { more: false, reason: `n ${n} reached max ${rep.max} with half-width ${now} (target ${rep.ci_target_pct} %)`, summary };
  return { more: true, reason: `half-width ${now} > target ${rep.ci_target_pct} %`, summary };
}

export function needMore(samples: readonly number[], rep: Repetitions): boolean {
  return repetitionStatus(samples, rep).more;
}

export interface Welch {
  /** mean(b) - mean(a). */
  diff: number;
  /** Standard error of the difference. */
  se: number;
  /** Welch–Satterthwaite degrees of freedom; null when se is 0. */
  df: number | null;
  t: number | null;
  /** Two-sided; 1 when se = 0 and the means are equal, 0 when se = 0 and they differ. */
  p_value: number;
  /** Interval of the difference at level 1 - alpha; the point itself when se = 0. */
  ci_low: number;
  ci_high: number;
}

/** Welch's unequal-variance t-test of b against a; null (with the reason) when either has n < 2. */
export function welch(a: Summary, b: Summary, alpha: number): Welch | { reason: string } {
  if (a.n < 2 || b.n < 2 || a.mean === null || b.mean === null || a.stddev === null || b.stddev === null) {
    return { reason: `need n >= 2 on both sides (have ${a.n} and ${b.n})` };
  }
  const va = a.stddev ** 2 / a.n;
  const vb = b.stddev ** 2 / b.n;
  const diff = b.mean - a.mean;
  const se = Math.sqrt(va + vb);
  if (!Number.isFinite(se) || !Number.isFinite(diff)) return { reason: "difference overflowed" };
  if (se === 0) return { diff, se, df: null, t: null, p_value: diff === 0 ? 1 : 0, ci_low: diff, ci_high: diff };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = diff / se;
  const half = tQuantile(1 - alpha / 2, df) * se;
  return { diff, se, df, t, p_value: tTwoSided(t, df), ci_low: diff - half, ci_high: diff + half };
}
