// A campaign diagnosis in words: one line per change, per cell and for the campaign, and the lines `campaign show`
// prints at its top. Pure.
import type { BriefFinding, CampaignDiagnosis, CellExplanation, FindingChange } from "./explain.ts";
import { termChangeText, type TermChange } from "./explain-terms.ts";

/** A figure for reading: integers from 100, three significant digits from 1, two below. */
export function short(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  return String(Number(x.toPrecision(a >= 1 ? 3 : 2)));
}

/** A value with its unit; bytes as kB from 1,000 B ("60.2 kB", "1511 B"). */
export function valueText(v: number, unit: string): string {
  if (unit === "B" && Math.abs(v) >= 1000) return `${short(v / 1000)} kB`;
  if (unit === "") return short(v);
  return `${short(v)} ${unit}`;
}

function keyText(k: NonNullable<FindingChange["key"]>): string {
  const f = (v: number) => valueText(v, k.unit);
  if (k.from !== null && k.to !== null) return `${k.label} ${f(k.from)} -> ${f(k.to)}`;
  if (k.to !== null) return `${k.label} ${f(k.to)}`;
  if (k.from !== null) return `${k.label} was ${f(k.from)}`;
  return k.label;
}

const at = (end: FindingChange["end"]): string => (end === "sender" || end === "receiver" ? ` at the ${end}` : "");

/** "offloads became bottleneck at the sender (sender tx-checksumming 1.26 us added per packet)". */
export function changeText(c: FindingChange): string {
  const key = c.key ? ` (${keyText(c.key)})` : "";
  switch (c.kind) {
    case "appeared":
      return `${c.rule} became ${c.to}${at(c.end)}${key}`;
    case "disappeared":
      return `${c.rule} no longer ${c.from}${key}`;
    case "moved":
      return `${c.rule} ${c.to} moved from the ${c.end === "sender" ? "receiver" : "sender"} to the ${c.end}${key}`;
    case "key changed":
      return `${c.rule} still ${c.to}${at(c.end)}${key}`;
    default:
      return `${c.rule} ${c.from} -> ${c.to}${at(c.end)}${key}`;
  }
}

const pct = (d: number | null): string => (d === null ? "n/a" : `${d >= 0 ? "+" : ""}${short(d)} %`);
const MAX_LISTED = 4;

function list(changes: readonly FindingChange[]): string {
  const shown = changes.slice(0, MAX_LISTED).map(changeText).join("; ");
  return changes.length > MAX_LISTED ? `${shown}; and ${changes.length - MAX_LISTED} more` : shown;
}

const MAX_TERMS = 3;

/** "; measured: sender checksum 0 -> 2.5 us per packet (0 -> 7 % of iperf3's CPU)"; "" without term changes. */
function measured(terms: readonly TermChange[]): string {
  if (terms.length === 0) return "";
  const shown = terms.slice(0, MAX_TERMS).map(termChangeText).join(", ");
  return `; measured: ${shown}${terms.length > MAX_TERMS ? ` and ${terms.length - MAX_TERMS} more` : ""}`;
}

/** One line per cell: what changed, the measured terms that moved, the throughput and the status. */
export function cellText(e: Omit<CellExplanation, "text">): string {
  const tput = `throughput ${pct(e.delta_pct)} (${e.verdict ?? "no verdict"})`;
  const terms = e.term_changes ?? [];
  if (e.status === "cannot tell") return `${e.name}: ${tput}: cannot tell: no diagnosed run ${e.runs.cell === 0 ? "in the cell" : "in its baseline"}`;
  if (e.status === "explained" || e.status === "possibly explained") {
    const side = e.status === "possibly explained" ? "either" : e.verdict === "better" ? "favourable" : "adverse";
    const changes = e.changes.filter((c) => c.direction === side);
    const found = changes.length > 0 ? list(changes) : "no finding changed";
    return `${e.name}: ${found}${measured(terms.filter((t) => side === "either" || t.direction === side))}; ${tput}: ${e.status}`;
  }
  if (e.changes.length === 0) return `${e.name}: no finding changed${measured(terms)}; ${tput}: ${e.status}`;
  if (e.status === "not explained") return `${e.name}: only changes that point the other way (${list(e.changes)})${measured(terms)}; ${tput}: not explained`;
  return `${e.name}: ${list(e.changes)}${measured(terms)}; ${tput}: ${e.status}`;
}

/** The baseline's bottleneck and contributing findings in one line. */
export function baselineText(findings: Iterable<BriefFinding>): string {
  const active = [...findings].filter((f) => f.verdict === "bottleneck" || f.verdict === "contributing").sort((a, b) => (a.verdict === b.verdict ? 0 : a.verdict === "bottleneck" ? -1 : 1));
  if (active.length === 0) return "no bottleneck or contributing finding";
  return active.map((f) => `${f.verdict} ${f.rule}${at(f.end)}${f.key && f.key.value !== null ? ` (${f.key.label} ${valueText(f.key.value, f.key.unit)})` : ""}`).join("; ");
}

/** "2 of 2 cells that changed throughput explained; 1 same, consistent". */
export function summaryText(cells: readonly CellExplanation[]): string {
  const changed = cells.filter((c) => c.verdict === "worse" || c.verdict === "better" || c.verdict === "unbalanced");
  const explained = changed.filter((c) => c.status === "explained");
  const notExplained = changed.filter((c) => c.status !== "explained").map((c) => (c.status === "possibly explained" ? `${c.cell_id} (possibly)` : c.cell_id));
  const others = new Map<string, number>();
  for (const c of cells) if (!changed.includes(c)) others.set(c.status, (others.get(c.status) ?? 0) + 1);
  const rest = [...others.entries()].map(([s, n]) => `${n} ${s}`).join(", ");
  const head = changed.length === 0 ? "no cell changed throughput" : `${explained.length} of ${changed.length} cell(s) that changed throughput explained by their findings`;
  return `${head}${notExplained.length > 0 ? ` (not explained: ${notExplained.join(", ")})` : ""}${rest ? `; other cells: ${rest}` : ""}`;
}

/** The lines `campaign show` prints above its table. */
export function formatCampaignDiagnosis(d: CampaignDiagnosis): string[] {
  const out = [`diagnosis against the baseline (engine ${d.engine_version}): ${d.summary}`];
  for (const [id, line] of Object.entries(d.baselines)) out.push(`  ${id}: ${line}`);
  for (const c of d.cells) out.push(`  ${c.text}`);
  return out;
}
