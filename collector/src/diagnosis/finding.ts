// Building findings: one shape for every rule, so each rule file is its test and its threshold only.
import type { ExplicitCell } from "../campaign/types.ts";
import { round } from "./read.ts";
import { CONFIDENCE, type Evidence, type Finding, type Rule, type Verdict } from "./types.ts";

type RuleHead = Pick<Rule, "id" | "title">;

export interface FindingParts {
  verdict: Verdict;
  confidence: number;
  explanation: string;
  evidence?: Evidence[];
  key?: Finding["key"];
  end?: Finding["end"];
  next?: { cell: ExplicitCell; why: string } | null;
}

/**
 * A figure a rule derived that is not a finite number (a record holding values no run measures: 1e308 Gbit/s, a
 * 5e-324 divisor). Thrown by finding() and ev(); the engine turns it into "cannot tell" naming the figure, where it
 * would otherwise show as 0 or read "Infinity %".
 */
export class FigureOutOfRange extends RangeError {}

const NOT_FINITE = /\b(NaN|-?Infinity)\b/;

export function finding(rule: RuleHead, p: FindingParts): Finding {
  if (p.verdict !== "cannot tell") {
    if (p.key && p.key.value !== null && !Number.isFinite(p.key.value)) throw new FigureOutOfRange(`${p.key.label} is not a finite number`);
    if (NOT_FINITE.test(p.explanation)) throw new FigureOutOfRange("a figure of the explanation is not a finite number");
  }
  const confidence = p.verdict === "cannot tell" ? CONFIDENCE.none : Math.min(1, Math.max(0, p.confidence));
  return {
    rule: rule.id,
    title: rule.title,
    verdict: p.verdict,
    confidence,
    key: p.key ? { ...p.key, value: p.key.value === null ? null : round(p.key.value) } : null,
    end: p.end ?? null,
    evidence: p.evidence ?? [],
    explanation: p.explanation,
    next: p.next ?? null,
  };
}

/** "cannot tell: <signal> unavailable: <reason>". */
export function cannotTell(rule: RuleHead, signal: string, reason: string, evidence: Evidence[] = []): Finding {
  return finding(rule, { verdict: "cannot tell", confidence: 0, explanation: `${signal} unavailable: ${reason}`, evidence });
}

/** Evidence with its value rounded for reading. */
export function ev(name: string, value: number | string | boolean | null | undefined, unit: string, source: string, window: string): Evidence {
  if (typeof value === "number" && !Number.isFinite(value)) throw new FigureOutOfRange(`${name} is not a finite number`);
  const v = typeof value === "number" ? round(value) : (value ?? null);
  return { name, value: v, unit, source, window };
}

/** A next experiment on the pair: one cell with these knobs set (campaign ExplicitCell form). */
export function cell(name: string, set: ExplicitCell["set"], why: string, applyOn?: ExplicitCell["apply_on"]): { cell: ExplicitCell; why: string } {
  return { cell: { name, set, ...(applyOn ? { apply_on: applyOn } : {}) }, why };
}
