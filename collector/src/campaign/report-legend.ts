// The legend above a plot: swatches and labels laid out in rows that fit the plot's width.
import { coord, el, esc, type Frame } from "./report-svg.ts";

export interface LegendItem {
  label: string;
  /** A fill colour, or a paint reference such as a hatch pattern. */
  fill: string;
  kind?: "box" | "line" | "dash" | "whisker" | "dot" | "hollow" | "diamond";
  stroke?: string;
}

/** Approximate advance of a 12 px sans-serif character, user units. */
const CHAR_W = 6.3;
const ROW_H = 18;
/** Centre of the first legend row, from the top of the SVG. */
const FIRST_ROW_Y = 14;

function swatch(x: number, y: number, it: LegendItem): string {
  switch (it.kind ?? "box") {
    case "line":
      return el("line", { x1: x, x2: x + 14, y1: y, y2: y, stroke: it.fill, "stroke-width": 2.5 });
    case "dash":
      return el("line", { x1: x, x2: x + 14, y1: y, y2: y, stroke: it.fill, "stroke-width": 2, "stroke-dasharray": "4 3" });
    case "whisker":
      return el("path", { d: `M${coord(x + 7)} ${coord(y - 6)}v12M${coord(x + 3)} ${coord(y - 6)}h8M${coord(x + 3)} ${coord(y + 6)}h8`, stroke: it.fill, "stroke-width": 1.5, fill: "none" });
    case "dot":
      return el("circle", { cx: x + 7, cy: y, r: 3, fill: it.fill });
    case "diamond":
      return el("path", { d: `M${coord(x + 7)} ${coord(y - 5)}l5 5l-5 5l-5 -5Z`, fill: "#fff", stroke: it.fill, "stroke-width": 1.5 });
    case "hollow":
      return el("circle", { cx: x + 7, cy: y, r: 3, fill: "#fff", stroke: it.fill });
    default:
      return el("rect", { x, y: y - 5, width: 14, height: 10, fill: it.fill, stroke: it.stroke ?? "none" });
  }
}

/** Legend rows between x0 and x1; returns the markup and the vertical space it takes (from the SVG's top). */
export function legend(items: LegendItem[], x0: number, x1: number): { svg: string; height: number } {
  let x = x0;
  let y = FIRST_ROW_Y;
  const parts = items.map((it) => {
    const w = 24 + it.label.length * CHAR_W;
    if (x > x0 && x + w > x1) {
      x = x0;
      y += ROW_H;
    }
    const g = el("g", { class: "legend-item" }, swatch(x, y, it) + el("text", { x: x + 18, y: y + 4 }, esc(it.label)));
    x += w + 10;
    return g;
  });
  return { svg: el("g", { class: "legend" }, parts.join("")), height: y + ROW_H / 2 };
}

/** A frame whose top leaves room for the legend, and the legend's markup. */
export function withLegend(frame: Omit<Frame, "top">, items: LegendItem[]): { frame: Frame; legend: string } {
  const l = legend(items, frame.left, frame.width - frame.right);
  return { frame: { ...frame, top: l.height + 22 }, legend: l.svg };
}
