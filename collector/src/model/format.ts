// Fixed-width text rendering of the cost model, laid out like the study's table:
// term | count | unit cost | total, then per packet, packets/s, Gbit/s ceiling and efficiency.
import type { Breakdown } from "./breakdown.ts";
import type { Ceiling } from "./cost-model.ts";
import type { Term } from "./terms.ts";
import { fmtInt } from "@eastwest/common";
import { fmtUs } from "./fmt-us.ts";

export { fmtInt, fmtUs };

const NA = "-";

/** A count per packet: "4", "3.27". */
export function fmtCount(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(2)));
}

/** The model's packet as a unit: "64 KiB packets/s" (65,536 B, a full TSO/GSO packet), else "1,500 B packets/s". */
export function packetsUnit(packetBytes: number): string {
  const size = packetBytes > 0 && packetBytes % 1024 === 0 ? `${fmtInt(packetBytes / 1024)} KiB` : `${fmtInt(packetBytes)} B`;
  return `${size} packets/s`;
}

export function fmtGbit(x: number): string {
  return x.toFixed(1);
}

/** A fraction as whole percent: 0.6099 -> "61 %". */
export function fmtPct(fraction: number): string {
  const pct = fraction * 100;
  return `${Math.abs(pct) >= 1e15 ? pct.toExponential(2) : Math.round(pct)} %`;
}

/** Bytes per second as decimal GB/s: 52e9 -> "52.0 GB/s". */
export function fmtGBps(bytesPerS: number): string {
  return `${(bytesPerS / 1e9).toFixed(1)} GB/s`;
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned unless `left`. */
export function renderTable(rows: readonly (readonly string[])[], left = false): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const pad = (cell: string, i: number) => (i === 0 || left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0));
  return rows.map((r) => r.map(pad).join("  ").trimEnd());
}

function termRow(t: Term): string[] {
  return [t.term, fmtCount(t.count), `${fmtUs(t.unit_us)} us`, `${fmtUs(t.total_us)} us`];
}

function reasonLines(terms: readonly Term[]): string[] {
  return terms.filter((t) => t.reason !== undefined).map((t) => `note: ${t.term}: ${t.reason}`);
}

function copyBasisLine(c: Ceiling | Breakdown): string {
  const k = c.constants;
  const derived = `${fmtInt(k.packet_bytes)} B / ${fmtGBps(k.copy_bytes_per_s)}`;
  if (c.copy_basis === "copy_bytes_per_s") return `copy cost: ${derived} per copy`;
  const bw = (k.packet_bytes / k.copy_bytes_per_s) * 1e6;
  const alt = Number.isFinite(bw) ? ` (${derived} = ${fmtUs(bw)} us)` : "";
  return `copy cost: ${fmtUs(k.copy_us ?? 0)} us per ${fmtInt(k.packet_bytes)} B copy as stated${alt}`;
}

/** The ceiling table; with measuredGbitS, an efficiency line too. */
export function formatCeiling(c: Ceiling, measuredGbitS?: number, efficiencyFraction?: number | null): string {
  const table = renderTable([["term", "count", "unit cost", "total"], ...c.terms.map(termRow)]);
  const rule = "-".repeat(Math.max(...table.map((l) => l.length)));
  const footer = renderTable([
    ["per packet", `${fmtUs(c.per_packet_us)} us`],
    [packetsUnit(c.constants.packet_bytes), c.packets_per_s === null ? "unbounded" : fmtInt(c.packets_per_s)],
    ["ceiling", c.max_gbit_s === null ? "unbounded" : `${fmtGbit(c.max_gbit_s)} Gbit/s`],
    ...efficiencyRow(c, measuredGbitS, efficiencyFraction),
  ], true);
  const tail = [copyBasisLine(c), `model version ${c.model_version}`, ...reasonLines(c.terms)];
  if (c.reason !== undefined) tail.push(`note: ${c.reason}`);
  return [table[0] ?? "", rule, ...table.slice(1), rule, ...footer, "", ...tail].join("\n") + "\n";
}

function efficiencyRow(c: Ceiling, measured: number | undefined, eff: number | null | undefined): string[][] {
  if (measured === undefined) return [];
  if (eff === null || eff === undefined) return [["efficiency", `n/a (${measured} Gbit/s measured, no finite ceiling)`]];
  return [["efficiency", `${fmtPct(eff)} (${measured} of ${fmtGbit(c.max_gbit_s ?? 0)} Gbit/s)`]];
}

function fitRow(b: Breakdown): string[] {
  const u = b.unexplained_us;
  if (u === null) return ["unexplained", "n/a (no measured packet rate)"];
  const of = b.unexplained_basis === "cpu_time" ? "of the CPU time per packet: what no term covers" : "of measured";
  const pct = b.unexplained_fraction === null ? "" : ` (${fmtPct(b.unexplained_fraction)} ${of})`;
  if (b.fit === "over_predicts") return ["unexplained", `${fmtUs(u)} us${pct}: the model over-predicts by ${fmtUs(-u)} us`];
  return ["unexplained", `${fmtUs(u)} us${pct}`];
}

/** The breakdown table: model time per term against the measured time per packet. */
export function formatBreakdown(b: Breakdown): string {
  const rows = b.terms.map((t) => [...termRow(t).slice(0, 2), t.source, ...termRow(t).slice(2)]);
  // why: stored records from before measured terms have no measured_terms.
  for (const m of b.measured_terms ?? []) rows.push([m.term, NA, m.source, NA, `${fmtUs(m.total_us)} us`]);
  const table = renderTable([["term", "count", "source", "unit cost", "model total"], ...rows]);
  const rule = "-".repeat(Math.max(...table.map((l) => l.length)));
  const measured =
    b.measured_per_packet_us === null || b.measured_packets_per_s === null
      ? "n/a"
      : `${fmtUs(b.measured_per_packet_us)} us (1 / ${fmtInt(b.measured_packets_per_s)} ${packetsUnit(b.constants.packet_bytes)})`;
  const footer = renderTable([
    ["model per packet", `${fmtUs(b.model_per_packet_us)} us`],
    ["measured per packet", measured],
    ...(typeof b.cpu_per_packet_us === "number" ? [["CPU time per packet", `${fmtUs(b.cpu_per_packet_us)} us (profiled ends, both together)`]] : []),
    fitRow(b),
  ], true);
  const tail = [copyBasisLine(b), `model version ${b.model_version}`, ...reasonLines(b.terms), ...b.notes.map((n) => `note: ${n}`)];
  return [table[0] ?? "", rule, ...table.slice(1), rule, ...footer, "", ...tail].join("\n") + "\n";
}
