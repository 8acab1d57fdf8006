// Plot 1: throughput per cell, Gbit/s. A bar at the mean, the confidence interval as an error bar, every repetition
// as a dot (outliers hollow), and the model's ceiling as a dashed line. Reverse directions get a second bar.
import { fin, fmtGbit, interval } from "./report-format.ts";
import { withLegend, type LegendItem } from "./report-legend.ts";
import { bar, dot, errorBar, jitter, note, refLine, svgRoot, valueLabel } from "./report-marks.ts";
import { band, el, linear, niceDomain, plotBottom, plotTop, xLabels, yAxis, zeroLine, type Scale } from "./report-svg.ts";
import type { ReportCell, ReportInput, ThroughputStats } from "./report-types.ts";

export const THROUGHPUT_ID = "plot-throughput";
const FWD = "#0072B2";
const REV = "#56B4E9";
const CEILING = "#D55E00";

function finiteValues(t: ThroughputStats): number[] {
  const ci = interval(t);
  const all = [t.meanGbitS, ...t.samplesGbitS, ...t.outliersGbitS, ...(ci ? [ci.low, ci.high] : [])];
  return all.filter((v) => Number.isFinite(v));
}

/** Highest and lowest value any mark of the plot shows, ceiling included. */
function extent(input: ReportInput): { lo: number; hi: number } {
  const vals = input.cells.flatMap((c) => [...finiteValues(c.throughput), ...(c.reverseThroughput ? finiteValues(c.reverseThroughput) : [])]);
  const ceiling = fin(input.ceilingGbitS);
  if (ceiling !== null && ceiling > 0) vals.push(ceiling);
  return { lo: Math.min(0, ...vals), hi: Math.max(0, ...vals) * 1.08 };
}

interface Slot {
  x: number;
  width: number;
  y: Scale;
  cell: ReportCell;
  dir: "forward" | "reverse";
}

/** One direction of one cell: bar, interval, dots, value label. */
function direction(s: Slot, t: ThroughputStats): string {
  const cx = s.x + s.width / 2;
  const who = `${s.cell.name}${s.dir === "reverse" ? " (reverse)" : ""}`;
  const ci = interval(t);
  const ciText = ci ? `, CI ${fmtGbit(ci.low)}–${fmtGbit(ci.high)}` : ", no CI";
  const parts = [
    bar({
      x: s.x, width: s.width, y: s.y, from: 0, to: fin(t.meanGbitS) ?? 0, cls: `bar bar-${s.dir}`, fill: s.dir === "forward" ? FWD : REV,
      cell: s.cell.id, value: t.meanGbitS, title: `${who}: mean ${fmtGbit(t.meanGbitS)} Gbit/s${ciText}, n = ${t.n}`, extra: { "data-dir": s.dir },
    }),
  ];
  const offsets = jitter(t.samplesGbitS.length);
  t.samplesGbitS.forEach((v, i) => {
    if (Number.isFinite(v)) parts.push(dot(cx + (offsets[i] ?? 0) * s.width * 0.3, s.y(v), "sample", s.cell.id, v, `${who}: repetition ${fmtGbit(v)} Gbit/s`));
  });
  const outOffsets = jitter(t.outliersGbitS.length);
  t.outliersGbitS.forEach((v, i) => {
    if (Number.isFinite(v)) parts.push(dot(cx + (outOffsets[i] ?? 0) * s.width * 0.3, s.y(v), "outlier", s.cell.id, v, `${who}: outlier ${fmtGbit(v)} Gbit/s (excluded)`));
  });
  if (ci) parts.push(errorBar(cx, Math.min(14, s.width * 0.4), s.y, ci.low, ci.high, s.cell.id, `${who}: CI ${fmtGbit(ci.low)}–${fmtGbit(ci.high)} Gbit/s`));
  const topValue = Math.max(fin(t.meanGbitS) ?? 0, ci?.high ?? 0, ...t.samplesGbitS.filter((v) => Number.isFinite(v)));
  const labelY = s.y(topValue) - 6;
  parts.push(valueLabel(cx, labelY, t.meanGbitS, fmtGbit(t.meanGbitS), s.cell.id, `value value-${s.dir}`));
  if (!ci) parts.push(note(cx, labelY - 14, `n=${t.n}, no CI`, s.cell.id));
  return el("g", { class: "cell", "data-cell": s.cell.id, "data-dir": s.dir }, parts.join(""));
}

function legendItems(anyReverse: boolean, ceiling: boolean): LegendItem[] {
  const items: LegendItem[] = [{ label: anyReverse ? "mean, forward" : "mean", fill: FWD }];
  if (anyReverse) items.push({ label: "mean, reverse", fill: REV });
  items.push({ label: "confidence interval", fill: "#111", kind: "whisker" });
  items.push({ label: "repetition", fill: "#111", kind: "dot" }, { label: "outlier", fill: "#111", kind: "hollow" });
  if (ceiling) items.push({ label: "model ceiling", fill: CEILING, kind: "dash" });
  return items;
}

/** The throughput plot as an inline SVG. */
export function throughputPlot(input: ReportInput): string {
  const cells = input.cells;
  const anyReverse = cells.some((c) => c.reverseThroughput !== undefined);
  const ceiling = fin(input.ceilingGbitS);
  const hasCeiling = ceiling !== null && ceiling > 0;
  const width = Math.max(900, 200 + cells.length * (anyReverse ? 160 : 130));
  const { frame, legend } = withLegend({ width, height: 420, left: 64, right: 110, bottom: 66 }, legendItems(anyReverse, hasCeiling));
  const { lo, hi } = extent(input);
  const dom = niceDomain(lo, hi);
  const y = linear(dom.min, dom.max, plotBottom(frame), plotTop(frame));
  const b = band(cells.length, frame.left, frame.width - frame.right, 0.6);
  const groups = cells.map((c, i) => {
    const w = anyReverse ? b.width / 2 : b.width;
    const x = c.reverseThroughput ? b.x(i) : b.mid(i) - w / 2;
    const fwd = direction({ x, width: w, y, cell: c, dir: "forward" }, c.throughput);
    const rev = c.reverseThroughput ? direction({ x: b.x(i) + w, width: w, y, cell: c, dir: "reverse" }, c.reverseThroughput) : "";
    return fwd + rev;
  });
  const body = [
    yAxis({ frame, y, ticks: dom.ticks, label: "throughput, Gbit/s", grid: true }),
    zeroLine(frame, y),
    ...groups,
    hasCeiling ? refLine(frame, y, ceiling, "ceiling", ["model ceiling", `${fmtGbit(ceiling)} Gbit/s`], CEILING) : "",
    xLabels(frame, b, cells.map((c) => c.name), cells.map((c) => c.id)),
    legend,
  ].join("");
  const desc = cells.map((c) => `${c.name} ${fmtGbit(c.throughput.meanGbitS)} Gbit/s`).join("; ");
  return svgRoot(THROUGHPUT_ID, frame, "Throughput per cell (Gbit/s), mean with confidence interval and repetitions", desc, body);
}
