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

/** The exits and CPU per packet plot as an inline SVG. */
export function perPacketPlot(input: ReportInput): string {
  const cells = input.cells;
  const items = SERIES.map((s) => ({ label: s.label, fill: s.fill }));
  const { frame, legend } = withLegend({ width: Math.max(900, 200 + cells.length * 130), height: 380, left: 64, right: 64, bottom: 66 }, items);
  const scales = SERIES.map((s) => scaleFor(cells, s.key, frame));
  const b = band(cells.length, frame.left, frame.width - frame.right, 0.6);
  const w = b.width / SERIES.length;
  const groups = cells.map((c, i) => {
    const marks = SERIES.map((s, j) => mark(c, s, b.x(i) + j * w, w, (scales[j] as { y: Scale }).y)).join("");
    return el("g", { class: "cell", "data-cell": c.id }, marks);
  });
  const [left, right] = scales as [{ y: Scale; ticks: number[] }, { y: Scale; ticks: number[] }];
  const body = [
    yAxis({ frame, y: left.y, ticks: left.ticks, label: "VM exits per packet", grid: true, color: EXITS }),
    yAxis({ frame, y: right.y, ticks: right.ticks, label: "CPU µs per packet", side: "right", color: CPU }),
    ...groups,
    zeroLine(frame, left.y),
    xLabels(frame, b, cells.map((c) => c.name), cells.map((c) => c.id)),
    legend,
  ].join("");
  const desc = cells
    .map((c) => {
      const e = fin(c.perPacket.exits);
      const u = fin(c.perPacket.cpuUs);
      return `${c.name}: ${e === null ? "n/a" : fmtCount(e)} exits, ${u === null ? "n/a" : fmtUs(u)} µs CPU per packet`;
    })
    .join("; ");
  return svgRoot(PERPACKET_ID, frame, "VM exits and CPU time per packet per cell", desc, body);
}
