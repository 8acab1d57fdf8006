// Writes a campaign's HTML report and says where: every command that writes one uses this.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderReport, reportInput, type CampaignRecord } from "@eastwest/collector";
import type { CliIo } from "./types.ts";

/** Writes the report of `rec` to `path`; prints "<who>: report written to <absolute path>" on stderr and returns the path. */
export function writeCampaignReport(io: CliIo, rec: CampaignRecord, path: string, who = "campaign"): string {
  const abs = resolve(path);
  writeFileSync(abs, renderReport(reportInput(rec)));
  io.stderr(`${who}: report written to ${abs}\n`);
  return abs;
}
