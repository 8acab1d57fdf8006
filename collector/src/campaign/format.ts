// The Table-1 style text table of a campaign for the CLI.
import { campaignDiagnosis } from "./explain-campaign.ts";
import { formatCampaignDiagnosis } from "./explain-text.ts";
import type { CampaignRecord } from "./runner.ts";
import type { CampaignVerdict } from "./verdict.ts";

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));

/** What an inconclusive verdict means, printed under a table that has one. */
export const INCONCLUSIVE_NOTE =
  "inconclusive: too few repetitions, or the confidence interval of the difference reaches beyond the threshold " +
  "(min_delta_pct, 3 % by default): it cannot tell such a change from none. More repetitions (repetitions.max) narrow it; 'show --json' has each reason.";

export function formatCampaign(rec: CampaignRecord): string {
  const rows = [["cell", "setting", "Gbit/s", "95 % CI", "n", "vs baseline", "verdict", "restored"]];
  for (const c of rec.cells) {
    const t = c.result?.throughput;
    const v = rec.verdicts[c.cell.id];
    const ci = t && t.ci_low !== null && t.ci_high !== null ? `${f(t.ci_low / 1e9)}..${f(t.ci_high / 1e9)}` : "-";
    const restored = c.restores.length === 0 ? "-" : c.restores.every((r) => r.verified) ? "verified" : "NOT VERIFIED";
    rows.push([c.cell.id, c.cell.name, t?.mean == null ? "-" : f(t.mean / 1e9), ci, String(t?.n ?? 0), c.cell.isBaseline ? "baseline" : v?.delta_pct == null ? "-" : `${v.delta_pct >= 0 ? "+" : ""}${f(v.delta_pct, 1)} %`, c.cell.isBaseline ? "-" : (v?.verdict ?? (c.error ? "failed" : "-")), restored]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const head = `campaign ${rec.name} (${rec.id}): ${rec.status}${rec.error ? ` — ${rec.error}` : ""}`;
  const errors = rec.cells.filter((c) => c.error).map((c) => `  ${c.cell.id}: ${c.error}`);
  const legend = Object.values(rec.verdicts).some((v) => v.verdict === "inconclusive") ? ["", INCONCLUSIVE_NOTE] : [];
  const cmp = rec.comparison ? [`against campaign ${rec.comparison.previousId}: ${summarizeComparison(rec.comparison.verdict)}`] : [];
  const diagnosis = diagnosisLines(rec);
  return [head, ...(diagnosis.length ? ["", ...diagnosis] : []), "", ...lines, ...legend, ...(errors.length ? ["", "errors:", ...errors] : []), ...(cmp.length ? ["", ...cmp] : [])].join("\n") + "\n";
}

function summarizeComparison(v: CampaignVerdict): string {
  const counts = Object.entries(v.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ");
  const regress = v.regressions.length > 0 ? `; ${v.regressions.length} regression(s)` : "";
  return `${v.comparable ? "" : "(not comparable: " + v.reason + ") "}${counts || "no cells"}${regress}`;
}

/** The campaign diagnosis at the top: the record's, else one made from its runs' findings when they have any. */
function diagnosisLines(rec: CampaignRecord): string[] {
  if (rec.diagnosis) return formatCampaignDiagnosis(rec.diagnosis);
  const hasFindings = rec.cells.some((c) => c.runs.some((r) => Array.isArray(r.findings)));
  return hasFindings && rec.status !== "running" ? formatCampaignDiagnosis(campaignDiagnosis(rec)) : [];
}
