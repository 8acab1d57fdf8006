// Marks shared by the report's plots: the SVG root, bars, error bars, dots, reference lines, hatching.
// Each mark that shows a number carries it as data-value (or data-low/data-high for an interval) and its cell as data-cell.
import { coord, dataNum, el, esc, plotLeft, plotRight, tip, type Attrs, type Frame, type Scale } from "./report-svg.ts";

/** The root of one plot: an inline SVG sized by its viewBox, with an accessible title and description. */
export function svgRoot(id: string, frame: Frame, title: string, desc: string, body: string): string {
  const head = el("title", { id: `${id}-title` }, esc(title)) + el("desc", { id: `${id}-desc` }, esc(desc));
  return el(
    "svg",
    {
      id,
      class: "plot",
      viewBox: `0 0 ${coord(frame.width)} ${coord(frame.height)}`,
      width: frame.width,
      height: frame.height,
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      "font-family": "system-ui, sans-serif",
      "font-size": 12,
    },
    head + body,
  );
}

export interface BarOpts {
  x: number;
  width: number;
  y: Scale;
  /** Value range the bar spans; from 0 for a plain bar. */
  from: number;
  to: number;
  cls: string;
  fill: string;
  cell: string;
  /** The number the bar stands for (data-value). */
  value: number;
  title: string;
  extra?: Attrs;
}

/** A vertical bar between two values; its height never goes negative. */
export function bar(o: BarOpts): string {
  const ya = o.y(o.from);
  const yb = o.y(o.to);
  const top = Math.min(ya, yb);
  const h = Math.abs(ya - yb);
  const attrs: Attrs = { class: o.cls, "data-cell": o.cell, "data-value": dataNum(o.value), x: o.x, y: top, width: o.width, height: h, fill: o.fill };
  return el("rect", { ...attrs, ...o.extra }, tip(o.title));
}

/** A vertical interval with caps at low and high (a confidence interval). */
export function errorBar(cx: number, capWidth: number, y: Scale, low: number, high: number, cell: string, title: string): string {
  const yl = y(low);
  const yh = y(high);
  const half = capWidth / 2;
  const d = `M${coord(cx)} ${coord(yl)}V${coord(yh)}M${coord(cx - half)} ${coord(yl)}H${coord(cx + half)}M${coord(cx - half)} ${coord(yh)}H${coord(cx + half)}`;
  return el("path", { class: "ci", "data-cell": cell, "data-low": dataNum(low), "data-high": dataNum(high), d, stroke: "#111", "stroke-width": 1.5, fill: "none" }, tip(title));
}

/** A sample dot; hollow for an outlier. */
export function dot(cx: number, cy: number, cls: "sample" | "outlier", cell: string, value: number, title: string): string {
  const fill = cls === "sample" ? "#111" : "#fff";
  return el("circle", { class: cls, "data-cell": cell, "data-value": dataNum(value), cx, cy, r: 2.8, fill, stroke: "#111", "stroke-width": 1, "fill-opacity": cls === "sample" ? 0.65 : 1 }, tip(title));
}

/** A horizontal reference line across the plot at value v; its label sits in the right margin, one line per entry. */
export function refLine(frame: Frame, y: Scale, v: number, cls: string, label: string[], color: string): string {
  const yy = y(v);
  const title = tip(label.join(" "));
  const line = el("line", { class: cls, "data-value": dataNum(v), x1: plotLeft(frame), x2: plotRight(frame), y1: yy, y2: yy, stroke: color, "stroke-width": 1.5, "stroke-dasharray": "6 4" }, title);
  const x = plotRight(frame) + 6;
  const top = yy + 4 - ((label.length - 1) * 13) / 2;
  const spans = label.map((l, i) => el("tspan", { x, dy: i === 0 ? 0 : 13 }, esc(l))).join("");
  const text = el("text", { class: `${cls}-label`, "data-value": dataNum(v), x, y: top, "text-anchor": "start", fill: color }, spans);
  return line + text;
}

/** A short horizontal marker across one band (e.g. the model's per-packet time of a cell). */
export function tick(x: number, width: number, yy: number, cls: string, cell: string, value: number, title: string, dash?: string): string {
  const attrs: Attrs = { class: cls, "data-cell": cell, "data-value": dataNum(value), x1: x, x2: x + width, y1: yy, y2: yy, stroke: "#111", "stroke-width": 2.5, "stroke-dasharray": dash };
  return el("line", attrs, tip(title));
}

/** A number written above (or below, for negative values) a point. */
export function valueLabel(x: number, yy: number, value: number, text: string, cell: string, cls = "value"): string {
  return el("text", { class: cls, "data-cell": cell, "data-value": dataNum(value), x, y: yy, "text-anchor": "middle" }, esc(text));
}

/** A text note (e.g. "n/a") without a number. */
export function note(x: number, yy: number, text: string, cell: string, cls = "na"): string {
  return el("text", { class: cls, "data-cell": cell, x, y: yy, "text-anchor": "middle", fill: "#555", "font-style": "italic" }, esc(text));
}

/** A diagonal hatch pattern definition; reference it as fill="url(#id)". */
export function hatchDef(id: string, color: string): string {
  const bg = el("rect", { width: 6, height: 6, fill: "#fff" });
  const line = el("path", { d: "M0 6L6 0M-1 1L1 -1M5 7L7 5", stroke: color, "stroke-width": 1.5 });
  return el("defs", {}, el("pattern", { id, width: 6, height: 6, patternUnits: "userSpaceOnUse" }, bg + line));
}

/** Deterministic horizontal offsets in [-1, 1] for n dots, so repeated renders are identical. */
export function jitter(n: number): number[] {
  if (n <= 1) return [0];
  return Array.from({ length: n }, (_, i) => (i / (n - 1)) * 2 - 1);
}
