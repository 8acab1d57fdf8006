// The HTML page around the plots and tables: one self-contained document. Inline CSS only; a Content-Security-Policy
// forbids every script and every network load, so the page renders the same offline and from file://.
import { fmtDurationNs, fmtGbit, fmtTimeNs } from "./report-format.ts";
import { el, esc } from "./report-svg.ts";
import type { ReportInput } from "./report-types.ts";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; color: #1a1a1a; margin: 0 auto; padding: 1.5rem; max-width: 1180px; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: #555; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #333; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: .85rem; padding-top: .4rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.settings, .reason, .model-us { color: #555; font-size: .85rem; font-weight: normal; }
.na { color: #777; font-style: italic; }
.verdict { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85rem; border: 1px solid; }
.verdict-baseline { border-color: #777; color: #333; } .verdict-same { border-color: #777; color: #333; background: #f2f2f2; }
.verdict-better { border-color: #009E73; color: #006b4e; background: #e6f6f1; }
.verdict-worse { border-color: #D55E00; color: #a34700; background: #fbeee4; }
.verdict-unbalanced { border-color: #CC79A7; color: #8a4470; background: #f8edf3; }
.verdict-inconclusive { border-color: #E69F00; color: #8a5f00; background: #fdf5e3; border-style: dashed; }
figure { margin: 0; } figcaption { color: #555; font-size: .85rem; }
svg.plot { display: block; max-width: 100%; height: auto; }
svg .grid { stroke: #e6e6e6; } svg .tick { font-size: 11px; } svg .axis-title { font-size: 12px; }
svg .value { font-size: 11px; font-weight: 600; } svg .na { font-size: 11px; }
svg .seg-label { font-size: 10.5px; } svg .x-label { font-size: 12px; }
table.kv th { font-weight: normal; color: #555; } code { font-size: .85rem; }
p.legend { color: #555; font-size: .85rem; max-width: 60rem; }
.explained { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85rem; border: 1px solid #777; }
.explained-explained { border-color: #009E73; color: #006b4e; } .explained-not-explained { border-color: #D55E00; color: #a34700; }
td.explanation { max-width: 26rem; }
footer { margin-top: 2rem; color: #777; font-size: .8rem; }
`;

/** How the verdicts are decided (collector/src/campaign/verdict.ts), under the results table. */
export const VERDICT_RULE =
  "Verdicts: better or worse: significant (Welch's t-test, p < alpha, 0.05 by default) and at least min_delta_pct (3 % by default) " +
  "from the baseline; same: the whole confidence interval of the difference lies within ±min_delta_pct; inconclusive: that interval " +
  "reaches beyond ±min_delta_pct (it cannot tell such a change from none: more repetitions narrow it), or too few repetitions; " +
  "unbalanced: the two directions of a bidirectional cell differ significantly by more than imbalance_pct (20 % by default).";

export interface PageParts {
  /** The campaign diagnosis (findings against the baseline), first on the page. */
  diagnosis: string;
  results: string;
  manifest: string;
  throughput: string;
  breakdown: string;
  perPacket: string;
  /** "VM exits: unavailable: <reason>" for each figure no cell has. */
  perPacketMissing: string[];
  runs: string;
}

function meta(input: ReportInput): string {
  const c = input.campaign;
  const rows: Array<[string, string]> = [
    ["campaign id", c.id],
    ["started", fmtTimeNs(c.startedNs)],
    ["finished", fmtTimeNs(c.finishedNs)],
    ["duration", fmtDurationNs(c.startedNs, c.finishedNs)],
    ["cells", String(input.cells.length)],
    ["model", `version ${input.modelVersion}, ceiling ${fmtGbit(input.ceilingGbitS)} Gbit/s per stream`],
  ];
  return el("dl", { class: "meta" }, rows.map(([k, v]) => el("dt", {}, esc(k)) + el("dd", {}, esc(v))).join(""));
}

function figure(svg: string, caption: string): string {
  return el("figure", {}, svg + el("figcaption", {}, esc(caption)));
}

function section(id: string, title: string, body: string): string {
  return el("section", { id }, el("h2", {}, esc(title)) + body);
}

/** The plot of what some cell has, and one line for each figure no cell has. */
function perPacketBody(parts: PageParts): string {
  const lines = parts.perPacketMissing.map((l) => el("p", { class: "na unavailable" }, esc(l))).join("");
  if (parts.perPacket === "") return lines;
  const axes = parts.perPacketMissing.length === 0 ? "Left axis: VM exits per packet; right axis: CPU time per packet at sender and receiver together." : "Bars: per packet, sender and receiver together.";
  return lines + figure(parts.perPacket, `${axes} n/a: the source was unavailable for the cell.`);
}

/** The whole document. `parts` are markup already escaped by their builders. */
export function page(input: ReportInput, parts: PageParts): string {
  const title = `eastwest campaign ${input.campaign.name} (${input.campaign.id})`;
  const head = [
    '<meta charset="utf-8">',
    el("meta", { "http-equiv": "Content-Security-Policy", content: CSP }),
    el("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
    el("title", {}, esc(title)),
    el("style", {}, CSS),
  ].join("");
  const header = el("header", {}, el("h1", {}, esc(`Campaign: ${input.campaign.name}`)) + meta(input));
  const main = [
    section("diagnosis-section", "Diagnosis: what changed against the baseline", parts.diagnosis),
    section("results-section", "Results", parts.results + el("p", { class: "legend" }, esc(VERDICT_RULE))),
    section("throughput-section", "Throughput per cell", figure(parts.throughput, "Bars: mean of the repetitions; whiskers: confidence interval of the mean; dots: repetitions (hollow: outliers, excluded from the mean); dashed line: the model's single-stream ceiling.")),
    section("breakdown-section", "Time per packet by model term", figure(parts.breakdown, "Stacked: copies, system calls and VM exits as the model prices them for the cell's observed counts; hatched: unexplained (measured - model), drawn below zero when negative. Solid tick: the cell's model time; diamond: the measured time; dashed line: the ceiling as time per packet.")),
    section("perpacket-section", "VM exits and CPU per packet", perPacketBody(parts)),
    section("host-section", "Host", parts.manifest),
    section("runs-section", "Runs", parts.runs),
  ].join("");
  const footer = el("footer", {}, esc(`Generated by eastwest from campaign ${input.campaign.id}; cost model version ${input.modelVersion}.`));
  return `<!doctype html>\n<html lang="en"><head>${head}</head><body>${header}<main>${main}</main>${footer}</body></html>\n`;
}
