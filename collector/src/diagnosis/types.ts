// The diagnosis of one run: findings of small pure rules over the run record (and, where a rule needs them, its
// samples over the window). A stored and served document: snake_case keys, every number finite.
import type { ExplicitCell } from "../campaign/types.ts";
import type { HostSide } from "../run/hostside.ts";
import type { RunResults } from "../run/results.ts";
import type { RunSamples } from "./samples.ts";

/** Engine version: bumped when a rule, threshold or the finding's shape changes (stored findings carry it). */
export const DIAGNOSIS_VERSION = "2";

/**
 * bottleneck: this limits the run (the rate would rise if it went away); contributing: it costs throughput but
 * something else sets the limit; ruled out: the signal was there and shows no problem; cannot tell: the signal
 * is missing (the explanation says which and why).
 */
export type Verdict = "bottleneck" | "contributing" | "ruled out" | "cannot tell";
export const VERDICTS: readonly Verdict[] = ["bottleneck", "contributing", "ruled out", "cannot tell"];

/**
 * Confidence in the verdict, 0..1: 0.9 when the figure is far past its threshold and measured directly; 0.6
 * near the threshold or derived (e.g. from means over a window); 0.3 when it rests on an indirect signal.
 * A "cannot tell" has confidence 0. CONFIDENCE maps the words used in rule files to these numbers.
 */
export const CONFIDENCE = { high: 0.9, medium: 0.6, low: 0.3, none: 0 } as const;

/** One figure a finding rests on, and where it came from. */
export interface Evidence {
  /** What it is, in words: "receiver iperf3 process CPU". */
  name: string;
  value: number | string | boolean | null;
  /** "%", "bit/s", "B", "per packet", "" … */
  unit: string;
  /** Measurement and field (or record path): "run_endpoint.softirq_pct", "record results.iperf3.server_cpu_pct". */
  source: string;
  /** The window it covers: "run window" (the record's), or a sample span in s. */
  window: string;
}

/** The next experiment: a campaign cell in the campaign spec's own form (ExplicitCell), and why. */
export interface NextExperiment {
  cell: ExplicitCell;
  why: string;
}

export interface Finding {
  rule: string;
  title: string;
  verdict: Verdict;
  confidence: number;
  /** The key figure, for the one-line summary and the store's `diagnosis` point (value_num); null: none. */
  key: { label: string; value: number | null; unit: string } | null;
  /** Which end it concerns, when one. */
  end: "sender" | "receiver" | "both" | null;
  evidence: Evidence[];
  /** One line, plain words. For cannot tell: "<signal> unavailable: <reason>". */
  explanation: string;
  next: NextExperiment | null;
}

export interface Diagnosis {
  engine_version: string;
  /** Bottleneck first, then contributing, ruled out, cannot tell; by confidence within a verdict. */
  findings: Finding[];
  /** One line: the bottleneck(s) with their key figure, else what was ruled out. */
  summary: string;
  /** "run record and samples" or "run record only: <why>". */
  inputs: string;
}

/** What the rules read of a run record (runner.ts RunRecord has these and more; a record read back from JSON too). */
export interface DiagnosedRun {
  id?: string;
  results: RunResults;
  hostSide?: HostSide;
}

/** What a rule reads: the run record and its samples (null: none were given). */
export interface RuleInput {
  record: DiagnosedRun;
  samples: RunSamples | null;
}

export interface Rule {
  id: string;
  title: string;
  /** Signals it needs, as "measurement.field" or record paths, for the docs and the cannot-tell reasons. */
  signals: readonly string[];
  /** Each threshold with its value and where it comes from. */
  thresholds: ReadonlyArray<{ name: string; value: number; unit: string; source: string }>;
  evaluate(input: RuleInput): Finding;
}
