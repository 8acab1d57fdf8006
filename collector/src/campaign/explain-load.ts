// A stored campaign record with its diagnosis: the one the runner made, else one made now from the findings of its
// runs — each run's own, or computed from the stored run record (diagnosis/record.ts) for runs recorded before the
// engine. Never throws for a malformed record: a run that cannot be read is left out of its cell's findings.
import { errorMessage } from "@eastwest/common";
import { diagnosisOf } from "../diagnosis/record.ts";
import type { DiagnosedRun } from "../diagnosis/types.ts";
import type { Store } from "../store/types.ts";
import { brief, type BriefFinding } from "./explain.ts";
import { campaignDiagnosis } from "./explain-campaign.ts";
import { runTermsOf, type RunTerms } from "./explain-terms.ts";
import type { CampaignRecord } from "./runner.ts";

/** A run's findings and measured terms, from its stored record; each undefined when it cannot be had. */
async function ofRun(store: Store, id: string): Promise<{ findings?: BriefFinding[]; terms?: RunTerms }> {
  try {
    const found = await store.getRecord("run", id);
    if (!found) return {};
    const d = await diagnosisOf(store, found.doc);
    const terms = runTermsOf(found.doc as DiagnosedRun);
    return { ...(d ? { findings: brief(d) } : {}), ...(terms ? { terms } : {}) };
  } catch {
    return {};
  }
}

function looksLikeCampaign(doc: unknown): doc is CampaignRecord {
  const d = doc as Partial<CampaignRecord> | null;
  return typeof d === "object" && d !== null && Array.isArray(d.cells) && typeof d.verdicts === "object" && d.verdicts !== null;
}

/** doc with `diagnosis` set (a copy) when it is a campaign record; else doc unchanged. */
export async function withCampaignDiagnosis<T>(store: Store, doc: T): Promise<T> {
  if (!looksLikeCampaign(doc) || (typeof doc.diagnosis === "object" && doc.diagnosis !== null)) return doc;
  try {
    const cells = await Promise.all(
      doc.cells.map(async (c) => ({
        ...c,
        runs: await Promise.all((Array.isArray(c.runs) ? c.runs : []).map(async (r) => (Array.isArray(r.findings) ? r : { ...r, ...(await ofRun(store, r.id)) }))),
      })),
    );
    return { ...doc, diagnosis: campaignDiagnosis({ cells, verdicts: doc.verdicts }) };
  } catch (err) {
    return { ...doc, diagnosis_error: `campaign diagnosis failed: ${errorMessage(err)}` };
  }
}
