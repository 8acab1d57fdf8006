// Verdicts: a cell against its baseline, and a campaign against an earlier one of the same spec, cell by
// cell with what changed in the manifests. The rule, with d = cell - baseline and [lo, hi] its Welch interval at
// 1 - alpha, both in % of the baseline mean, and m = min_delta_pct:
//   better / worse   significant (p < alpha) and |d| >= m;
//   same             otherwise, when the whole interval lies inside (-m, +m): a change of m % is ruled out;
//   inconclusive     otherwise (the interval reaches beyond ±m %: it cannot tell a change of m % from none),
//                    or a side has fewer than max(2, min_n) repetitions.
import { fmtGbit } from "./report-format.ts";
import { MANIFEST_FIELDS, manifestsDiff, type ManifestChange, type ManifestDiff, type ManifestField } from "./manifest.ts";
import { welch, type Summary, type Welch } from "./stats.ts";
import type { CampaignResult, Cell, CellResult, DirectionPair } from "./types.ts";

/** inconclusive: too few repetitions, or an interval too wide to tell a change of min_delta_pct from none. */
export type VerdictKind = "same" | "better" | "worse" | "unbalanced" | "inconclusive";

export interface VerdictOptions {
  /** Significance level of the two-sided tests; default 0.05. */
  alpha?: number;
  /** Smallest |delta| (% of the baseline mean) that counts as a change; default 3. */
  min_delta_pct?: number;
  /** Directions differing by more than this (% of the larger mean) and significantly are unbalanced; default 20. */
  imbalance_pct?: number;
  /** Default true (throughput). */
  higher_is_better?: boolean;
  /** Both directions of the cell, when its runs measured both. */
  directions?: DirectionPair | null;
  /** Fewest repetitions per side for any verdict but inconclusive (the spec's repetitions.min); default 2. */
  min_n?: number;
  /** A value as text in reasons; default bits/s as Gbit/s ("41.0 Gbit/s"). */
  format?: (x: number) => string;
}

export interface Imbalance {
  forward_mean: number | null;
  reverse_mean: number | null;
  /** (larger - smaller) / larger x 100; null without both means. */
  imbalance_pct: number | null;
  p_value: number | null;
  unbalanced: boolean;
  reason: string;
}

export interface CellVerdict {
  verdict: VerdictKind;
  /** The verdict on the mean alone, whatever the balance of directions. */
  throughput_verdict: Exclude<VerdictKind, "unbalanced">;
  /** (cell - baseline) / |baseline| x 100; null when a mean is missing or the baseline's is 0. */
  delta_pct: number | null;
  p_value: number | null;
  /** Welch's test of cell against baseline; its ci_low/ci_high bound the difference at 1 - alpha. */
  test: Welch | null;
  /** That interval in % of the baseline mean, and the threshold it is held against; null without a test or a mean. */
  interval_pct: { low: number; high: number; threshold: number } | null;
  imbalance: Imbalance | null;
  reason: string;
}

/** Bits/s as "41.0 Gbit/s". */
export const fmtBitsPerS = (x: number): string => `${fmtGbit(x / 1e9)} Gbit/s`;
const DEFAULTS = { alpha: 0.05, min_delta_pct: 3, imbalance_pct: 20, higher_is_better: true, min_n: 2, format: fmtBitsPerS };
type Options = typeof DEFAULTS;
const pct = (x: number): string => `${x >= 0 ? "+" : ""}${x.toFixed(1)} %`;

/** Whether the two directions of a cell differ significantly by more than imbalance_pct. */
export function imbalance(pair: DirectionPair, opts: VerdictOptions = {}): Imbalance {
  const o = { ...DEFAULTS, ...opts };
  const g = o.format;
  const f = pair.forward.mean;
  const r = pair.reverse.mean;
  const base = { forward_mean: f, reverse_mean: r, imbalance_pct: null, p_value: null, unbalanced: false };
  if (f === null || r === null) return { ...base, reason: "a direction has no samples" };
  const hi = Math.max(f, r);
  const share = hi === 0 ? 0 : ((hi - Math.min(f, r)) / hi) * 100;
  const w = welch(pair.forward, pair.reverse, o.alpha);
  if (!("diff" in w)) return { ...base, imbalance_pct: share, reason: `directions ${g(f)} and ${g(r)}: ${w.reason}` };
  const unbalanced = w.p_value < o.alpha && share > o.imbalance_pct;
  const why = `forward ${g(f)}, reverse ${g(r)}: differ by ${share.toFixed(1)} % (threshold ${o.imbalance_pct} %), p = ${w.p_value.toPrecision(2)}`;
  return { ...base, imbalance_pct: share, p_value: w.p_value, unbalanced, reason: why };
}

function throughputVerdict(baseline: Summary, cell: Summary, o: Options): Omit<CellVerdict, "imbalance"> {
  const none = { delta_pct: null, p_value: null, test: null, interval_pct: null };
  const inconclusive = { verdict: "inconclusive", throughput_verdict: "inconclusive" } as const;
  if (baseline.mean === null || cell.mean === null) return { ...none, ...inconclusive, reason: "inconclusive: no samples on a side" };
  const g = o.format;
  const delta = baseline.mean === 0 ? null : ((cell.mean - baseline.mean) / Math.abs(baseline.mean)) * 100;
  const moved = `${g(baseline.mean)} -> ${g(cell.mean)}${delta === null ? "" : ` (${pct(delta)})`}`;
  const need = Math.max(2, o.min_n);
  if (baseline.n < need || cell.n < need) {
    return { ...none, ...inconclusive, delta_pct: delta, reason: `inconclusive: ${moved}: too few repetitions (${baseline.n} and ${cell.n}; need ${need} on both sides)` };
  }
  const w = welch(baseline, cell, o.alpha);
  if (!("diff" in w)) return { ...none, ...inconclusive, delta_pct: delta, reason: `inconclusive: ${moved}: ${w.reason}` };
  const level = `${Math.round((1 - o.alpha) * 100)} %`;
  const rel = (x: number) => (x / Math.abs(baseline.mean as number)) * 100;
  const iv = delta === null ? null : { low: rel(w.ci_low), high: rel(w.ci_high), threshold: o.min_delta_pct };
  const ivText = iv === null ? `[${g(w.ci_low)}, ${g(w.ci_high)}]` : `[${pct(iv.low)}, ${pct(iv.high)}]`;
  const stats = `p = ${w.p_value.toPrecision(2)}, ${level} CI of the difference ${ivText}`;
  const practical = delta === null ? w.diff !== 0 : Math.abs(delta) >= o.min_delta_pct;
  const base = { delta_pct: delta, p_value: w.p_value, test: w, interval_pct: iv };
  if (w.p_value < o.alpha && practical) {
    const kind = w.diff > 0 === o.higher_is_better ? "better" : "worse";
    return { ...base, verdict: kind, throughput_verdict: kind, reason: `${kind}: ${moved}, ${stats}` };
  }
  const inside = iv === null ? w.ci_low === 0 && w.ci_high === 0 : iv.low > -o.min_delta_pct && iv.high < o.min_delta_pct;
  if (inside) return { ...base, verdict: "same", throughput_verdict: "same", reason: `same: ${moved}, the interval lies within ±${o.min_delta_pct} % (${stats})` };
  const why = `the interval reaches beyond ±${o.min_delta_pct} %: it cannot tell a change of ${o.min_delta_pct} % from none; more repetitions narrow it`;
  return { ...base, ...inconclusive, reason: `inconclusive: ${moved}, ${why} (${stats})` };
}

/** The cell against the baseline; "unbalanced" overrides when opts.directions shows an imbalance. */
export function cellVerdict(baseline: Summary, cell: Summary, opts: VerdictOptions = {}): CellVerdict {
  const o = { ...DEFAULTS, ...opts };
  const t = throughputVerdict(baseline, cell, o);
  const imb = opts.directions ? imbalance(opts.directions, opts) : null;
  if (imb?.unbalanced) return { ...t, verdict: "unbalanced", imbalance: imb, reason: `unbalanced: ${imb.reason}; throughput ${t.reason}` };
  return { ...t, imbalance: imb };
}

/** Every non-baseline cell of a result against its pair's baseline, by cell id; cells without results are left out. */
export function baselineVerdicts(cells: readonly Cell[], result: CampaignResult, opts: VerdictOptions = {}): Record<string, CellVerdict> {
  const byId = new Map(result.cells.map((c) => [c.cell_id, c]));
  const out: Record<string, CellVerdict> = {};
  for (const cell of cells) {
    const r = byId.get(cell.id);
    const base = byId.get(cell.baselineId);
    if (cell.isBaseline || !r || !base) continue;
    out[cell.id] = cellVerdict(base.throughput, r.throughput, { ...opts, directions: r.directions });
  }
  return out;
}

export interface CellComparison {
  cell_id: string;
  presence: "both" | "previous_only" | "current_only";
  /** Current against previous; "unbalanced" when the directions became unbalanced. null unless in both. */
  verdict: CellVerdict | null;
  /** Whether the directions were unbalanced in each campaign; null when not measured. */
  unbalanced_before: boolean | null;
  unbalanced_after: boolean | null;
  /** What changed in the cell's agent manifests from previous to current. */
  manifest: ManifestDiff;
}

export interface Regression {
  cell_id: string;
  verdict: "worse" | "unbalanced";
  delta_pct: number | null;
  /** Manifest fields that changed for this cell: where to look first. [] when nothing recorded changed. */
  suspects: ManifestField[];
}

export interface CampaignVerdict {
  /** False when the spec digests differ: cells are still matched by id but their parameters may differ. */
  comparable: boolean;
  reason: string;
  counts: Record<VerdictKind | "missing", number>;
  cells: CellComparison[];
  /** Every manifest change over all cells, each once. */
  manifest: ManifestDiff;
  regressions: Regression[];
}

function compareCell(prev: CellResult, cur: CellResult, opts: VerdictOptions): CellComparison {
  const before = prev.directions ? imbalance(prev.directions, opts).unbalanced : null;
  const imb = cur.directions ? imbalance(cur.directions, opts) : null;
  let v = cellVerdict(prev.throughput, cur.throughput, { ...opts, directions: null });
  if (imb) v = { ...v, imbalance: imb };
  if (imb?.unbalanced && before !== true) {
    const when = before === false ? "newly unbalanced" : "unbalanced (directions not measured before)";
    v = { ...v, verdict: "unbalanced", reason: `${when}: ${imb.reason}; throughput ${v.reason}` };
  }
  const manifest = manifestsDiff(prev.manifests, cur.manifests);
  return { cell_id: cur.cell_id, presence: "both", verdict: v, unbalanced_before: before, unbalanced_after: imb ? imb.unbalanced : null, manifest };
}

function union(diffs: readonly ManifestDiff[]): ManifestDiff {
  const seen = new Map<string, ManifestChange>();
  for (const d of diffs) for (const c of d.changes) seen.set(JSON.stringify([c.agent_id, c.field, c.key, c.before, c.after]), c);
  const changes = [...seen.values()];
  const order: ManifestField[] = ["agent", ...MANIFEST_FIELDS];
  return { changed: order.filter((f) => changes.some((c) => c.field === f)), changes };
}

/** The current campaign against a previous one, cell by cell (matched by id, in the current campaign's order). */
export function campaignVerdict(previous: CampaignResult, current: CampaignResult, opts: VerdictOptions = {}): CampaignVerdict {
  const prev = new Map(previous.cells.map((c) => [c.cell_id, c]));
  const curIds = new Set(current.cells.map((c) => c.cell_id));
  const empty: ManifestDiff = { changed: [], changes: [] };
  const cells: CellComparison[] = current.cells.map((c) => {
    const p = prev.get(c.cell_id);
    return p ? compareCell(p, c, opts) : { cell_id: c.cell_id, presence: "current_only", verdict: null, unbalanced_before: null, unbalanced_after: null, manifest: empty };
  });
  for (const p of previous.cells) {
    if (!curIds.has(p.cell_id)) cells.push({ cell_id: p.cell_id, presence: "previous_only", verdict: null, unbalanced_before: null, unbalanced_after: null, manifest: empty });
  }
  const counts: CampaignVerdict["counts"] = { same: 0, better: 0, worse: 0, unbalanced: 0, inconclusive: 0, missing: 0 };
  for (const c of cells) counts[c.verdict?.verdict ?? "missing"]++;
  const regressions: Regression[] = cells.flatMap((c) =>
    c.verdict && (c.verdict.verdict === "worse" || c.verdict.verdict === "unbalanced")
      ? [{ cell_id: c.cell_id, verdict: c.verdict.verdict, delta_pct: c.verdict.delta_pct, suspects: c.manifest.changed }]
      : [],
  );
  const comparable = previous.spec_digest === current.spec_digest;
  const reason = comparable ? "same spec" : `spec changed (${previous.spec_digest.slice(0, 12)} -> ${current.spec_digest.slice(0, 12)}): cells matched by id, their parameters may differ`;
  return { comparable, reason, counts, cells, manifest: union(cells.map((c) => c.manifest)), regressions };
}
