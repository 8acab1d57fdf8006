// The report's tables: the Table-1 style results (one row per cell), the campaign manifest, and the runs per cell.
// Every cell of a table that shows a number carries it as data-value.
import { fin, fmtDeltaPct, fmtGbit, fmtMeanCi, fmtPct, fmtUs, interval, manifestText } from "./report-format.ts";
import { dataNum, el, esc } from "./report-svg.ts";
import type { ReportCell, ReportInput, ThroughputStats } from "./report-types.ts";

export const RESULTS_ID = "results";

function td(text: string, value: number | null, cls?: string, title?: string): string {
  return el("td", { class: cls, "data-value": value === null ? null : dataNum(value), title }, esc(text));
}

function throughputTd(c: ReportCell): string {
  const line = (t: ThroughputStats, dir: string) => {
    const ci = interval(t);
    const attrs = { class: `tput tput-${dir}`, "data-value": dataNum(t.meanGbitS), "data-low": ci ? dataNum(ci.low) : null, "data-high": ci ? dataNum(ci.high) : null };
    return el("span", attrs, esc(dir === "reverse" ? `reverse ${fmtMeanCi(t)}` : fmtMeanCi(t)));
  };
  const rev = c.reverseThroughput ? `<br>${line(c.reverseThroughput, "reverse")}` : "";
  return el("td", { class: "num" }, line(c.throughput, "forward") + rev);
}

function deltaTd(c: ReportCell): string {
  if (c.verdict.verdict === "baseline") return td("baseline", null, "num");
  const d = fin(c.verdict.deltaPct);
  return d === null ? td("—", null, "num") : td(fmtDeltaPct(d), d, "num");
}

function verdictTd(c: ReportCell): string {
  const v = c.verdict.verdict;
  const badge = el("span", { class: `verdict verdict-${v}` }, esc(v));
  const reason = c.verdict.reason ? `<br>${el("span", { class: "reason" }, esc(c.verdict.reason))}` : "";
  return el("td", { "data-verdict": v }, badge + reason);
}

function perPacketTd(c: ReportCell): string {
  const measured = fin(c.breakdownUs.measuredPerPacketUs);
  const model = fin(c.breakdownUs.modelPerPacketUs);
  const main = measured === null ? el("span", { class: "na" }, "n/a") : el("span", { class: "measured-us", "data-value": dataNum(measured) }, esc(fmtUs(measured)));
  const sub = model === null ? "" : `<br>${el("span", { class: "model-us", "data-value": dataNum(model) }, esc(`model ${fmtUs(model)}`))}`;
  return el("td", { class: "num" }, main + sub);
}

function efficiencyTd(c: ReportCell, ceilingGbitS: number): string {
  const mean = fin(c.throughput.meanGbitS);
  const ceiling = fin(ceilingGbitS);
  if (mean === null || ceiling === null || ceiling <= 0) return td("n/a", null, "num na");
  const pct = (mean / ceiling) * 100;
  return td(fmtPct(pct), pct, "num");
}

/** The cell's findings against the baseline: status badge and the line; "—" for a baseline or without findings. */
function explanationTd(c: ReportCell): string {
  if (!c.explanation) return el("td", { class: "na" }, c.verdict.verdict === "baseline" ? "baseline" : "no findings");
  const s = c.explanation.status;
  const badge = el("span", { class: `explained explained-${s.replace(/ /g, "-")}` }, esc(s));
  return el("td", { class: "explanation", "data-status": s }, `${badge}<br>${el("span", { class: "reason" }, esc(c.explanation.text))}`);
}

function row(c: ReportCell, ceilingGbitS: number): string {
  const setting = el("th", { scope: "row" }, esc(c.name) + (c.settings ? `<br>${el("span", { class: "settings" }, esc(c.settings))}` : ""));
  const cells = [setting, throughputTd(c), deltaTd(c), verdictTd(c), td(String(c.throughput.n), c.throughput.n, "num"), perPacketTd(c), efficiencyTd(c, ceilingGbitS), explanationTd(c)];
  return el("tr", { "data-cell": c.id, class: `row-${c.verdict.verdict}` }, cells.join(""));
}

/** The Table-1 style results table. */
export function resultsTable(input: ReportInput): string {
  const heads = ["setting", "Gbit/s (mean ± CI)", "vs baseline", "verdict", "n", "per-packet µs (measured, model)", "efficiency, % of ceiling", "findings vs baseline"];
  const thead = el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, esc(h))).join("")));
  const tbody = el("tbody", {}, input.cells.map((c) => row(c, input.ceilingGbitS)).join(""));
  const caption = el("caption", {}, esc(`Results per cell; efficiency against the model ceiling of ${fmtGbit(input.ceilingGbitS)} Gbit/s (model version ${input.modelVersion})`));
  return el("table", { id: RESULTS_ID, class: "results" }, caption + thead + tbody);
}

/** The campaign manifest (host facts) as a key/value table, keys in the manifest's order. */
export function manifestTable(manifest: Record<string, unknown>): string {
  const rows = Object.entries(manifest).map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, esc(k)) + el("td", {}, esc(manifestText(v)))));
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "2", class: "na" }, "no manifest recorded")));
  return el("table", { id: "manifest", class: "kv" }, el("tbody", {}, rows.join("")));
}

/** The runs behind each cell. */
export function runsList(cells: ReportCell[]): string {
  const items = cells.map((c) => {
    const runs = c.runIds.length === 0 ? el("span", { class: "na" }, "none") : c.runIds.map((r) => el("code", {}, esc(r))).join(", ");
    return el("li", { "data-cell": c.id }, `${esc(c.name)}: ${runs}`);
  });
  return el("ul", { class: "runs" }, items.join(""));
}

/** The campaign diagnosis at the top of the report: the summary line and each baseline's findings. */
export function diagnosisSummary(input: ReportInput): string {
  const d = input.diagnosis;
  if (!d) return el("p", { class: "na", id: "diagnosis-summary" }, "no findings: the campaign's runs carry no diagnosis");
  const items = d.baselines.map((b) => el("li", { "data-cell": b.id }, `${el("code", {}, esc(b.id))}: ${esc(b.text)}`));
  const cells = input.cells.filter((c) => c.explanation).map((c) => el("li", { "data-cell": c.id, "data-status": c.explanation!.status }, esc(c.explanation!.text)));
  return el("div", { id: "diagnosis-summary" }, el("p", {}, esc(d.summary)) + el("ul", { class: "baselines" }, items.join("")) + el("ul", { class: "explanations" }, cells.join("")));
}
