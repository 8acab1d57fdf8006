// Campaign diagnosis: per cell, the findings of its runs against the baseline cell's, rule by rule — which
// appeared, went away, changed verdict or key figure — and whether that explains the cell's verdict. Pure.
//
// A cell's runs are consolidated per rule first: the verdict most of its repetitions gave (ties go to the more
// severe), with the median key figure of those runs. "cannot tell" on either side leaves the rule out of the
// comparison (no signal, no claim). Severity: bottleneck 2 > contributing 1 > ruled out 0.
//   worse / unbalanced  explained when some finding became more severe (appeared, escalated) or an active finding's
//                       key figure moved for the worse by >= KEY_CHANGE_PCT; "possibly explained" when the only
//                       change is a limit that moved to the other end (on a host whose ends share the CPUs, such a
//                       move can be noise); else "not explained";
//   better              the same with changes for the better;
//   same                "consistent" without changes, else "no effect" (findings changed, throughput did not);
//   inconclusive        "inconclusive", the changes listed as candidates.
import type { Diagnosis, Finding, Verdict } from "../diagnosis/types.ts";
import { termChanges, type RunTerms, type TermChange } from "./explain-terms.ts";
import type { VerdictKind } from "./verdict.ts";

/** A finding as a campaign keeps it per run: no evidence or prose, which the run record has. */
export type BriefFinding = Pick<Finding, "rule" | "title" | "verdict" | "confidence" | "end" | "key">;

/** A key figure counts as changed when it moves by at least this share of the baseline's (%). */
export const KEY_CHANGE_PCT = 25;

export type ChangeKind = "appeared" | "escalated" | "eased" | "disappeared" | "moved" | "key changed";

export interface FindingChange {
  rule: string;
  title: string;
  kind: ChangeKind;
  from: Verdict;
  to: Verdict;
  /** The cell's end for the rule (the baseline's when the cell has none). */
  end: Finding["end"];
  /** Baseline and cell key figure (null when that side has none or the labels differ). */
  key: { label: string; unit: string; from: number | null; to: number | null } | null;
  /** Does the change make the cell slower (adverse) or faster (favourable)? either: a limit that moved to the other end. */
  direction: "adverse" | "favourable" | "either";
}

export type ExplanationStatus = "explained" | "possibly explained" | "not explained" | "consistent" | "no effect" | "inconclusive" | "cannot tell";

export interface CellExplanation {
  cell_id: string;
  name: string;
  verdict: VerdictKind | null;
  delta_pct: number | null;
  status: ExplanationStatus;
  /** Every change against the baseline, adverse first. */
  changes: FindingChange[];
  /** Measured terms (the runs' CPU profiles) that moved against the baseline's, per end; [] without profiles. */
  term_changes: TermChange[];
  /** Rules whose changes account for the verdict (explained), or may (possibly explained: moved limits); "measured terms" when terms do. */
  explained_by: string[];
  /** Diagnosed runs: the cell's and its baseline's. */
  runs: { cell: number; baseline: number };
  /** One line: "checksum offload off: offloads became bottleneck at the sender (...); throughput -43 % (worse): explained". */
  text: string;
}

export interface CampaignDiagnosis {
  engine_version: string;
  /** Per baseline cell id: its consolidated bottleneck/contributing findings in one line. */
  baselines: Record<string, string>;
  cells: CellExplanation[];
  /** One line: how many cells with a changed verdict are explained. */
  summary: string;
}

/** The cell's findings per run, as the runner and the loader hand them over. */
export interface CellFindings {
  cell_id: string;
  name: string;
  baseline_id: string;
  is_baseline: boolean;
  verdict: VerdictKind | null;
  delta_pct: number | null;
  /** One list per diagnosed run. */
  runs: BriefFinding[][];
  /** Measured terms of the cell's profiled runs (not aligned with runs: a run may have findings and no profile). */
  terms?: RunTerms[];
}

export const brief = (d: Diagnosis): BriefFinding[] => d.findings.map((f) => ({ rule: f.rule, title: f.title, verdict: f.verdict, confidence: f.confidence, end: f.end, key: f.key }));

const SEVERITY: Record<Verdict, number> = { bottleneck: 2, contributing: 1, "ruled out": 0, "cannot tell": -1 };

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Per rule: the verdict most runs gave (ties: the more severe) with the median key of those runs. Keys are only
 * pooled with their own label and unit, and a measured figure wins over the model's: one run's profile with too
 * few samples falls back to the model ("us added per packet") while the others measured it ("us per packet measured").
 */
export function consolidate(runs: readonly BriefFinding[][]): Map<string, BriefFinding> {
  const byRule = new Map<string, BriefFinding[]>();
  for (const run of runs) for (const f of run) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  const out = new Map<string, BriefFinding>();
  for (const [rule, fs] of byRule) {
    const counts = new Map<Verdict, number>();
    for (const f of fs) counts.set(f.verdict, (counts.get(f.verdict) ?? 0) + 1);
    const verdict = [...counts.entries()].sort((a, b) => b[1] - a[1] || SEVERITY[b[0]] - SEVERITY[a[0]])[0]![0];
    const same = fs.filter((f) => f.verdict === verdict);
    const first = same.find((f) => typeof f.key?.value === "number" && /measured/.test(f.key.unit)) ?? same[0]!;
    const keyed = same.filter((f) => f.key?.label === first.key?.label && f.key?.unit === first.key?.unit && typeof f.key?.value === "number");
    const key = first.key ? { ...first.key, value: median(keyed.map((f) => f.key!.value as number)) } : null;
    const confidence = same.reduce((a, f) => a + f.confidence, 0) / same.length;
    out.set(rule, { ...first, key, confidence });
  }
  return out;
}

/** Keys whose figure is worse when lower: bytes per packet, efficiency, a shaper's rate. */
function worseWhenLower(key: { label: string; unit: string }): boolean {
  return key.unit === "B" || key.unit === "Gbit/s" || /efficiency/.test(key.label);
}

function keyPair(b: BriefFinding, c: BriefFinding): FindingChange["key"] {
  const ck = c.key ?? b.key;
  if (!ck) return null;
  const from = b.key && b.key.label === ck.label ? b.key.value : null;
  const to = c.key && c.key.label === ck.label ? c.key.value : null;
  return { label: ck.label, unit: ck.unit, from, to };
}

/** The change of one rule between baseline b and cell c; null: none (or a side cannot tell). */
export function compareFinding(b: BriefFinding, c: BriefFinding): FindingChange | null {
  const sb = SEVERITY[b.verdict];
  const sc = SEVERITY[c.verdict];
  if (sb < 0 || sc < 0) return null;
  const key = keyPair(b, c);
  const base = { rule: c.rule, title: c.title, from: b.verdict, to: c.verdict, end: c.end ?? b.end, key };
  if (sc > sb) return { ...base, kind: sb === 0 ? "appeared" : "escalated", direction: "adverse" };
  if (sc < sb) return { ...base, kind: sc === 0 ? "disappeared" : "eased", direction: "favourable" };
  if (sc === 0) return null;
  const ends = ["sender", "receiver"];
  if (b.end !== c.end && ends.includes(b.end ?? "") && ends.includes(c.end ?? "")) return { ...base, kind: "moved", direction: "either" };
  if (key === null || key.from === null || key.to === null) return null;
  const rel = (Math.abs(key.to - key.from) / Math.max(Math.abs(key.from), 1e-9)) * 100;
  if (rel < KEY_CHANGE_PCT) return null;
  const rose = key.to > key.from;
  return { ...base, kind: "key changed", direction: rose !== worseWhenLower(key) ? "adverse" : "favourable" };
}

const ORDER: Record<ChangeKind, number> = { appeared: 0, escalated: 1, moved: 2, "key changed": 3, eased: 4, disappeared: 5 };
const SIDE = { adverse: 0, either: 1, favourable: 2 } as const;

/** Every change of the cell against its baseline: adverse first, then by kind, the more severe verdict first. */
export function changesOf(baseline: Map<string, BriefFinding>, cell: Map<string, BriefFinding>): FindingChange[] {
  const out: FindingChange[] = [];
  for (const [rule, c] of cell) {
    const b = baseline.get(rule);
    const ch = b ? compareFinding(b, c) : null;
    if (ch) out.push(ch);
  }
  const sev = (ch: FindingChange) => Math.max(SEVERITY[ch.from], SEVERITY[ch.to]);
  return out.sort((x, y) => SIDE[x.direction] - SIDE[y.direction] || ORDER[x.kind] - ORDER[y.kind] || sev(y) - sev(x));
}

function status(verdict: VerdictKind | null, changes: readonly FindingChange[], terms: readonly TermChange[]): { status: ExplanationStatus; by: string[] } {
  const moved = changes.filter((c) => c.direction === "either");
  const decide = (side: "adverse" | "favourable") => {
    const by = [...new Set(changes.filter((c) => c.direction === side).map((c) => c.rule))];
    if (terms.some((t) => t.direction === side)) by.push("measured terms");
    if (by.length > 0) return { status: "explained" as const, by };
    return moved.length > 0 ? { status: "possibly explained" as const, by: [...new Set(moved.map((c) => c.rule))] } : { status: "not explained" as const, by: [] };
  };
  switch (verdict) {
    case "worse":
    case "unbalanced":
      return decide("adverse");
    case "better":
      return decide("favourable");
    case "same":
      return { status: changes.length === 0 ? "consistent" : "no effect", by: [] };
    default:
      return { status: "inconclusive", by: [] };
  }
}

/** The explanation of one cell against its baseline's runs. `text` is filled by explain-format.ts. */
export function explainCell(cell: CellFindings, baselineRuns: readonly BriefFinding[][], baselineTerms: readonly RunTerms[] = []): Omit<CellExplanation, "text"> {
  const head = { cell_id: cell.cell_id, name: cell.name, verdict: cell.verdict, delta_pct: cell.delta_pct, runs: { cell: cell.runs.length, baseline: baselineRuns.length } };
  const terms = termChanges(baselineTerms, cell.terms ?? []);
  if (cell.runs.length === 0 || baselineRuns.length === 0) return { ...head, status: "cannot tell", changes: [], term_changes: terms, explained_by: [] };
  const changes = changesOf(consolidate(baselineRuns), consolidate(cell.runs));
  const s = status(cell.verdict, changes, terms);
  return { ...head, status: s.status, changes, term_changes: terms, explained_by: s.by };
}
