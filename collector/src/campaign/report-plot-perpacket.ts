// Plot 3: VM exits per packet (left axis) and CPU microseconds per packet, sender + receiver (right axis), as grouped
// bars per cell. Each quantity has its own axis in its own colour; a missing value shows as "n/a", never as 0.
import { fin, fmtCount, fmtUs } from "./report-format.ts";
import { withLegend } from "./report-legend.ts";
import { bar, note, svgRoot, valueLabel } from "./report-marks.ts";
import { band, el, linear, niceDomain, plotBottom, plotTop, xLabels, yAxis, zeroLine, type Frame, type Scale } from "./report-svg.ts";
import type { ReportCell, ReportInput } from "./report-types.ts";

export const PERPACKET_ID = "plot-perpacket";
const EXITS = "#009E73";
const CPU = "#CC79A7";

interface Series {
  key: "exits" | "cpuUs";
  cls: string;
  fill: string;
  label: string;
  fmt: (v: number) => string;
  unit: string;
}

const SERIES: readonly Series[] = [
  { key: "exits", cls: "bar-exits", fill: EXITS, label: "VM exits per packet", fmt: fmtCount, unit: "exits" },
  { key: "cpuUs", cls: "bar-cpu", fill: CPU, label: "CPU µs per packet (sender + receiver)", fmt: fmtUs, unit: "µs" },
];

function scaleFor(cells: ReportCell[], key: Series["key"], frame: Frame): { y: Scale; ticks: number[] } {
  const vals = cells.map((c) => fin(c.perPacket[key])).filter((v): v is number => v !== null);
  const dom = niceDomain(Math.min(0, ...vals), Math.max(0, ...vals) * 1.15);
  return { y: linear(dom.min, dom.max, plotBottom(frame), plotTop(frame)), ticks: dom.ticks };
}

function mark(c: ReportCell, s: Series, x: number, width: number, y: Scale): string {
  const v = fin(c.perPacket[s.key]);
  const cx = x + width / 2;
  if (v === null) return note(cx, y(0) - 6, "n/a", c.id);
  const title = `${c.name}: ${s.fmt(v)} ${s.unit} per packet`;
  const b = bar({ x, width, y, from: 0, to: v, cls: `pp-bar ${s.cls}`, fill: s.fill, cell: c.id, value: v, title, extra: { "data-series": s.key } });
  const labelY = v >= 0 ? y(v) - 5 : y(v) + 13;
  return b + valueLabel(cx, labelY, v, s.fmt(v), c.id, `value value-${s.key}`);
}

/** The series with a value in some cell; both when there are no cells (nothing is missing then). */
export function presentSeries(cells: readonly ReportCell[]): Series[] {
  if (cells.length === 0) return [...SERIES];
  return SERIES.filter((s) => cells.some((c) => fin(c.perPacket[s.key]) !== null));
}

/** One line per series no cell has: "VM exits: unavailable: <reason>". */
export function missingSeriesLines(input: ReportInput): string[] {
  const present = new Set(presentSeries(input.cells).map((s) => s.key));
  const why: Record<Series["key"], string> = {
    exits: `VM exits: unavailable: ${input.exitsReason ?? "no cell has a VM-exit count (no VM with KVM exit counters carries the runs)"}`,
    cpuUs: "CPU per packet: unavailable: no cell has CPU samples or a packet rate",
  };
  return SERIES.filter((s) => !present.has(s.key)).map((s) => why[s.key]);
}

/** The exits and CPU per packet plot as an inline SVG, with only the series some cell has; "" when neither. */
export function perPacketPlot(input: ReportInput): string {
  const cells = input.cells;
  const series = presentSeries(cells);
  if (series.length === 0) return "";
  const items = series.map((s) => ({ label: s.label, fill: s.fill }));
  const { frame, legend } = withLegend({ width: Math.max(900, 200 + cells.length * 130), height: 380, left: 64, right: 64, bottom: 66 }, items);
  const scales = series.map((s) => scaleFor(cells, s.key, frame));
  const b = band(cells.length, frame.left, frame.width - frame.right, 0.6);
  const w = b.width / series.length;
  const groups = cells.map((c, i) => {
    const marks = series.map((s, j) => mark(c, s, b.x(i) + j * w, w, (scales[j] as { y: Scale }).y)).join("");
    return el("g", { class: "cell", "data-cell": c.id }, marks);
  });
  const axes = series.map((s, j) => {
    const sc = scales[j] as { y: Scale; ticks: number[] };
    return yAxis({ frame, y: sc.y, ticks: sc.ticks, label: s.key === "exits" ? "VM exits per packet" : "CPU µs per packet", ...(j === 0 ? { grid: true } : { side: "right" as const }), color: s.fill });
  });
  const body = [...axes, ...groups, zeroLine(frame, (scales[0] as { y: Scale }).y), xLabels(frame, b, cells.map((c) => c.name), cells.map((c) => c.id)), legend].join("");
  const desc = cells
    .map((c) => `${c.name}: ${series.map((s) => { const v = fin(c.perPacket[s.key]); return `${v === null ? "n/a" : s.fmt(v)} ${s.key === "exits" ? "exits" : "µs CPU"}`; }).join(", ")} per packet`)
    .join("; ");
  const title = series.length === 2 ? "VM exits and CPU time per packet per cell" : `${series[0]?.label ?? ""} per cell`;
  return svgRoot(PERPACKET_ID, frame, title, desc, body);
}
