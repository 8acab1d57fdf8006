// A diagnosis as store points: one `diagnosis` point per finding (common/src/schema/runs.ts), at the window's end
// like the run's other points. Pure.
import type { Sample } from "@eastwest/common";
import type { Diagnosis } from "./types.ts";

export function diagnosisPoints(runId: string, d: Diagnosis, timeNs: bigint): Sample[] {
  return d.findings.map((f) => {
    const fields: Record<string, number> = { confidence: f.confidence };
    if (f.key && typeof f.key.value === "number" && Number.isFinite(f.key.value)) fields["key_value"] = f.key.value;
    return { measurement: "diagnosis", tags: { run_id: runId, rule: f.rule, verdict: f.verdict, end: f.end ?? "", engine_version: d.engine_version }, fields, timeNs };
  });
}
