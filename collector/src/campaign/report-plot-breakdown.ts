// Plot 2: time per packet by model term, microseconds, as stacked bars per cell. Terms stack up from 0; a negative
// term (normally only "unexplained", when a cell beats the model) stacks down from 0. Unexplained is hatched and
// labelled. Per cell: the model's time as a solid tick, the measured time as a diamond; across the plot: the
// model ceiling expressed as time per packet.
import { fin, fmtGbit, fmtUs } from "./report-format.ts";
import { withLegend, type LegendItem } from "./report-legend.ts";
import { bar, hatchDef, note, refLine, svgRoot, tick, valueLabel } from "./report-marks.ts";
import { band, coord, dataNum, el, linear, niceDomain, plotBottom, plotTop, tip, xLabels, yAxis, zeroLine, type Scale } from "./report-svg.ts";
import type { ReportCell, ReportInput } from "./report-types.ts";

export const BREAKDOWN_ID = "plot-breakdown";
const HATCH = "hatch-unexplained";
const CEILING = "#D55E00";
export const TERMS = [
  { key: "copies", label: "copies", fill: "#0072B2" },
  { key: "syscalls", label: "system calls", fill: "#E69F00" },
  { key: "exits", label: "VM exits", fill: "#009E73" },
  { key: "unexplained", label: "unexplained", fill: `url(#${HATCH})` },
] as const;

/** Bits per packet over the ceiling rate: the ceiling as microseconds per packet (7.8 for 67.2 Gbit/s, 64 KiB). */
export function ceilingUs(input: ReportInput): number | null {
  const gbit = fin(input.ceilingGbitS);
  const bytes = fin(input.packetBytes) ?? 65_536;
  return gbit === null || gbit <= 0 ? null : (bytes * 8) / (gbit * 1e3);
}

interface Segment {
  term: (typeof TERMS)[number];
  value: number;
  from: number;
  to: number;
}

/** Diverging stack: non-negative values upward from 0 in term order, negative values downward. */
export function stack(c: ReportCell): Segment[] {
  let up = 0;
  let down = 0;
  const out: Segment[] = [];
  for (const term of TERMS) {
    const v = fin(c.breakdownUs[term.key]) ?? 0;
    if (v >= 0) {
      out.push({ term, value: v, from: up, to: up + v });
      up += v;
    } else {
      out.push({ term, value: v, from: down, to: down + v });
      down += v;
    }
  }
  return out;
}

function extent(input: ReportInput): { lo: number; hi: number } {
  let lo = 0;
  let hi = ceilingUs(input) ?? 0;
  for (const c of input.cells) {
    for (const s of stack(c)) {
      lo = Math.min(lo, s.to);
      hi = Math.max(hi, s.to);
    }
    hi = Math.max(hi, fin(c.breakdownUs.modelPerPacketUs) ?? 0, fin(c.breakdownUs.measuredPerPacketUs) ?? 0);
  }
  const pad = (hi - lo) * 0.06;
  return { lo: lo < 0 ? lo - pad : 0, hi: hi * 1.08 + pad };
}

function diamond(cx: number, cy: number, cell: string, value: number, title: string): string {
  const d = `M${coord(cx)} ${coord(cy - 5)}L${coord(cx + 5)} ${coord(cy)}L${coord(cx)} ${coord(cy + 5)}L${coord(cx - 5)} ${coord(cy)}Z`;
  return el("path", { class: "measured", "data-cell": cell, "data-value": dataNum(value), d, fill: "#fff", stroke: "#111", "stroke-width": 1.5 }, tip(title));
}

const fmtUnexplained = (v: number): string => `unexplained ${v >= 0 ? "+" : ""}${fmtUs(v)}`;

/** A segment's value inside it when it is tall enough; "" otherwise (unexplained is then labelled outside). */
function insideLabel(s: Segment, x: number, width: number, y: Scale, cell: string): string {
  const h = Math.abs(y(s.from) - y(s.to));
  if (h < 15 || s.value === 0) return "";
  const un = s.term.key === "unexplained";
  const attrs = {
    class: un ? "seg-label seg-label-unexplained" : "seg-label", "data-cell": cell, "data-term": s.term.key, "data-value": dataNum(s.value),
    x: x + width / 2, y: (y(s.from) + y(s.to)) / 2 + 4, "text-anchor": "middle", fill: un ? "#111" : "#fff",
  };
  return el("text", un ? { ...attrs, "paint-order": "stroke", stroke: "#fff", "stroke-width": 3 } : attrs, un ? fmtUnexplained(s.value) : fmtUs(s.value));
}

/** Labels stacked above the bar (measured time, then a thin positive unexplained) and below it (a thin negative one). */
function outsideLabels(c: ReportCell, s: Segment, cx: number, y: Scale, top: number, bottom: number): string {
  const thin = s.value !== 0 && Math.abs(y(s.from) - y(s.to)) < 15;
  const measured = fin(c.breakdownUs.measuredPerPacketUs);
  const parts = [measured === null ? note(cx, y(top) - 8, "measured n/a", c.id) : valueLabel(cx, y(top) - 8, measured, `${fmtUs(measured)} µs`, c.id, "value value-measured")];
  const attrs = { class: "seg-label seg-label-unexplained", "data-cell": c.id, "data-term": "unexplained", "data-value": dataNum(s.value), x: cx, "text-anchor": "middle" };
  if (thin && s.value > 0) parts.push(el("text", { ...attrs, y: y(top) - 22 }, fmtUnexplained(s.value)));
  if (thin && s.value < 0) parts.push(el("text", { ...attrs, y: y(bottom) + 13 }, fmtUnexplained(s.value)));
  return parts.join("");
}

function cellMarks(c: ReportCell, x: number, width: number, y: Scale): string {
  const segs = stack(c);
  const parts = segs.map((s) =>
    bar({
      x, width, y, from: s.from, to: s.to, cls: `segment seg-${s.term.key}`, fill: s.term.fill, cell: c.id, value: s.value,
      title: `${c.name}: ${s.term.label} ${fmtUs(s.value)} µs per packet`, extra: { "data-term": s.term.key, stroke: s.term.key === "unexplained" ? "#555" : null },
    }),
  );
  parts.push(...segs.map((s) => insideLabel(s, x, width, y, c.id)));
  const model = fin(c.breakdownUs.modelPerPacketUs);
  if (model !== null) parts.push(tick(x - 6, width + 12, y(model), "model-line", c.id, model, `${c.name}: model ${fmtUs(model)} µs per packet`));
  const measured = fin(c.breakdownUs.measuredPerPacketUs);
  if (measured !== null) parts.push(diamond(x + width / 2, y(measured), c.id, measured, `${c.name}: measured ${fmtUs(measured)} µs per packet`));
  const top = Math.max(0, ...segs.map((s) => s.to), model ?? 0, measured ?? 0);
  const bottom = Math.min(0, ...segs.map((s) => s.to));
  const unexplained = segs.find((s) => s.term.key === "unexplained");
  if (unexplained) parts.push(outsideLabels(c, unexplained, x + width / 2, y, top, bottom));
  return el("g", { class: "cell", "data-cell": c.id }, parts.join(""));
}

function legendItems(): LegendItem[] {
  const items: LegendItem[] = TERMS.map((t) => ({ label: t.label, fill: t.fill, stroke: t.key === "unexplained" ? "#555" : undefined }));
  items.push({ label: "model (cell)", fill: "#111", kind: "line" }, { label: "measured", fill: "#111", kind: "diamond" }, { label: "ceiling", fill: CEILING, kind: "dash" });
  return items;
}

/** The per-packet breakdown plot as an inline SVG. */
export function breakdownPlot(input: ReportInput): string {
  const cells = input.cells;
  const { frame, legend } = withLegend({ width: Math.max(900, 200 + cells.length * 130), height: 460, left: 64, right: 110, bottom: 66 }, legendItems());
  const { lo, hi } = extent(input);
  const dom = niceDomain(lo, hi);
  const y = linear(dom.min, dom.max, plotBottom(frame), plotTop(frame));
  const b = band(cells.length, frame.left, frame.width - frame.right, 0.45);
  const ceil = ceilingUs(input);
  const body = [
    hatchDef(HATCH, "#666"),
    yAxis({ frame, y, ticks: dom.ticks, label: "time per packet, µs", grid: true }),
    ...cells.map((c, i) => cellMarks(c, b.x(i), b.width, y)),
    zeroLine(frame, y),
    ceil === null ? "" : refLine(frame, y, ceil, "ceiling", ["ceiling", `${fmtUs(ceil)} µs/packet`, `(${fmtGbit(input.ceilingGbitS)} Gbit/s)`], CEILING),
    xLabels(frame, b, cells.map((c) => c.name), cells.map((c) => c.id)),
    legend,
  ].join("");
  const desc = cells.map((c) => `${c.name}: model ${fmtUs(c.breakdownUs.modelPerPacketUs)} µs, unexplained ${fmtUs(c.breakdownUs.unexplained)} µs`).join("; ");
  return svgRoot(BREAKDOWN_ID, frame, "Time per packet by model term (µs), stacked, against the model ceiling", desc, body);
}
