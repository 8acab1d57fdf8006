// diagnose(record, samples?): every rule over the run, findings sorted (bottleneck first), and a summary line.
// Pure. A rule that throws on a malformed record becomes a "cannot tell" finding naming the error, and so does one
// whose figures are not finite numbers (finding.ts, FigureOutOfRange): a diagnosis is always returned.
import { errorMessage } from "@eastwest/common";
import { cannotTell, FigureOutOfRange } from "./finding.ts";
import { RULES } from "./rules/index.ts";
import type { RunSamples } from "./samples.ts";
import { DIAGNOSIS_VERSION, VERDICTS, type DiagnosedRun, type Diagnosis, type Finding, type Rule } from "./types.ts";

function run(rule: Rule, record: DiagnosedRun, samples: RunSamples | null): Finding {
  try {
    return rule.evaluate({ record, samples });
  } catch (err) {
    if (err instanceof FigureOutOfRange) return cannotTell(rule, "a finite figure", `from this record's values, ${err.message}`);
    return cannotTell(rule, "a readable record", `the rule failed on this record: ${errorMessage(err)}`);
  }
}

/** Bottleneck, contributing, ruled out, cannot tell; higher confidence first; then rule order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (f: Finding) => VERDICTS.indexOf(f.verdict);
  return findings.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || b.f.confidence - a.f.confidence || a.i - b.i).map((x) => x.f);
}

/** "47 %" / "1.26 us added per packet": a finding's key figure in words. */
export function keyText(f: Finding): string {
  if (!f.key) return "";
  const v = f.key.value === null ? "" : `${f.key.value}${f.key.unit ? (f.key.unit === "%" ? " %" : ` ${f.key.unit}`) : ""}`;
  return v === "" ? f.key.label : `${f.key.label} ${v}`;
}

function summary(findings: readonly Finding[]): string {
  const limits = findings.filter((f) => f.verdict === "bottleneck");
  const contributing = findings.filter((f) => f.verdict === "contributing");
  const counts = VERDICTS.map((v) => `${findings.filter((f) => f.verdict === v).length} ${v}`).join(", ");
  const named = (fs: readonly Finding[]) => fs.map((f) => `${f.title}${f.key ? ` (${keyText(f)})` : ""}`).join("; ");
  if (limits.length > 0) return `bottleneck: ${named(limits)}${contributing.length > 0 ? `; contributing: ${named(contributing)}` : ""} [${counts}]`;
  if (contributing.length > 0) return `no single bottleneck found; contributing: ${named(contributing)} [${counts}]`;
  return `no bottleneck found by the rules [${counts}]`;
}

/** The diagnosis of one run; samples: its series over the window (diagnosis/load.ts), absent: the record alone. */
export function diagnose(record: DiagnosedRun, samples?: RunSamples | null): Diagnosis {
  const s = samples ?? null;
  const findings = sortFindings(RULES.map((rule) => run(rule, record, s)));
  const inputs = s === null ? "run record only: no samples given" : s.missing ? `run record only: ${s.missing}` : "run record and samples";
  return { engine_version: DIAGNOSIS_VERSION, findings, summary: summary(findings), inputs };
}
