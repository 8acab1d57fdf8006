// The campaign report: one self-contained HTML document (inline CSS, server-side SVG, no scripts, no network) with
// the Table-1 style results, throughput, the per-packet breakdown against the ceiling, and exits and CPU per packet.
// Pure: the caller writes the string where it wants it.
import { breakdownPlot } from "./report-plot-breakdown.ts";
import { missingSeriesLines, perPacketPlot } from "./report-plot-perpacket.ts";
import { throughputPlot } from "./report-plot-throughput.ts";
import { page } from "./report-page.ts";
import { diagnosisSummary, manifestTable, resultsTable, runsList } from "./report-table.ts";
import type { ReportInput } from "./report-types.ts";

export type { BreakdownUs, ReportCell, ReportInput, ThroughputStats, Verdict } from "./report-types.ts";

/** Renders the report. Every string from `input` is HTML-escaped; marks carry their numbers as data-value. */
export function renderReport(input: ReportInput): string {
  return page(input, {
    diagnosis: diagnosisSummary(input),
    results: resultsTable(input),
    manifest: manifestTable(input.campaign.manifest),
    throughput: throughputPlot(input),
    breakdown: breakdownPlot(input),
    perPacket: perPacketPlot(input),
    perPacketMissing: missingSeriesLines(input),
    runs: runsList(input.cells),
  });
}

/** A file name for the report of a campaign: safe characters only, e.g. "campaign-c1.html". */
export function reportFileName(campaignId: string): string {
  return `campaign-${campaignId.replace(/[^A-Za-z0-9._-]/g, "_")}.html`;
}
