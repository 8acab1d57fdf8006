// The campaign diagnosis of a campaign record: each cell's runs' findings (kept in the record's run summaries)
// against its baseline cell's, with the verdicts the record already has. Pure.
import { DIAGNOSIS_VERSION } from "../diagnosis/types.ts";
import { consolidate, explainCell, type BriefFinding, type CampaignDiagnosis, type CellFindings } from "./explain.ts";
import type { RunTerms } from "./explain-terms.ts";
import { baselineText, cellText, summaryText } from "./explain-text.ts";
import type { VerdictKind } from "./verdict.ts";

/** What the explanation reads of a campaign record (runner.ts CampaignRecord has it; typed here to keep imports one-way). */
export interface ExplainableCampaign {
  cells: ReadonlyArray<{ cell: { id: string; name: string; baselineId: string; isBaseline: boolean }; runs: ReadonlyArray<{ findings?: BriefFinding[]; terms?: RunTerms }> }>;
  verdicts: Readonly<Record<string, { verdict: VerdictKind; delta_pct: number | null }>>;
}

/** The explanation of every non-baseline cell, and one line per baseline. */
export function diagnoseCampaign(cells: readonly CellFindings[]): CampaignDiagnosis {
  const byId = new Map(cells.map((c) => [c.cell_id, c]));
  const baselines: Record<string, string> = {};
  for (const c of cells) if (c.is_baseline) baselines[c.cell_id] = c.runs.length === 0 ? "no diagnosed run" : baselineText(consolidate(c.runs).values());
  const explained = cells
    .filter((c) => !c.is_baseline)
    .map((c) => {
      const b = byId.get(c.baseline_id);
      const e = explainCell(c, b?.runs ?? [], b?.terms ?? []);
      return { ...e, text: cellText(e) };
    });
  return { engine_version: DIAGNOSIS_VERSION, baselines, cells: explained, summary: summaryText(explained) };
}

/** The findings of a record's cells; runs without findings (recorded before the engine, or not diagnosed) are left out. */
export function cellFindingsOf(rec: ExplainableCampaign): CellFindings[] {
  return rec.cells.map((c) => {
    const v = rec.verdicts[c.cell.id];
    const runs = c.runs.flatMap((r) => (Array.isArray(r.findings) ? [r.findings as BriefFinding[]] : []));
    const terms = c.runs.flatMap((r) => (typeof r.terms === "object" && r.terms !== null ? [r.terms] : []));
    return { cell_id: c.cell.id, name: c.cell.name, baseline_id: c.cell.baselineId, is_baseline: c.cell.isBaseline, verdict: c.cell.isBaseline ? null : (v?.verdict ?? null), delta_pct: v?.delta_pct ?? null, runs, terms };
  });
}

/** The campaign diagnosis of a record (the runner sets it when a campaign ends). */
export function campaignDiagnosis(rec: ExplainableCampaign): CampaignDiagnosis {
  return diagnoseCampaign(cellFindingsOf(rec));
}
