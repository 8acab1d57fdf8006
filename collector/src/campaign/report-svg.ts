// SVG building blocks for the report: escaping, elements, linear and band scales, nice ticks, axes.
// Pure string builders; every coordinate written is finite (non-finite input collapses to the range start).

/** HTML/XML-escapes text and attribute values: & < > " '. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates beyond this many user units are clamped: far off any page, and safe to round. */
const COORD_LIMIT = 1e7;

/** A number for a coordinate attribute: 2 decimals, no trailing zeros, never NaN or Infinity. */
export function coord(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const c = Math.max(-COORD_LIMIT, Math.min(COORD_LIMIT, x));
  return String(Math.round(c * 100) / 100 + 0);
}

/** The input number itself, for data-value: tests read it back with Number(). */
export function dataNum(x: number): string {
  return Number.isFinite(x) ? String(x) : "";
}

export type Attrs = Record<string, string | number | null | undefined>;

/** One element. Attribute values are escaped; numbers pass through coord(). `inner` must be markup already escaped. */
export function el(tag: string, attrs: Attrs, inner?: string): string {
  let a = "";
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    a += ` ${k}="${typeof v === "number" ? coord(v) : esc(v)}"`;
  }
  return inner === undefined ? `<${tag}${a}/>` : `<${tag}${a}>${inner}</${tag}>`;
}

/** An SVG <title> child: the accessible name and the hover text of a mark. */
export function tip(text: string): string {
  return `<title>${esc(text)}</title>`;
}

/** The drawing area inside an SVG of width x height user units. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const plotLeft = (f: Frame): number => f.left;
export const plotRight = (f: Frame): number => f.width - f.right;
export const plotTop = (f: Frame): number => f.top;
export const plotBottom = (f: Frame): number => f.height - f.bottom;

export type Scale = (v: number) => number;

/** Maps [d0, d1] linearly onto [r0, r1]; a degenerate domain maps everything to r0. */
export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0;
  if (!(Number.isFinite(span) && span !== 0)) return () => r0;
  return (v) => (Number.isFinite(v) ? r0 + ((v - d0) / span) * (r1 - r0) : r0);
}

/** n equal bands across [x0, x1]; `inner` is the fraction of a band the marks use. */
export interface Band {
  /** Left edge of the marks of band i. */
  x(i: number): number;
  /** Centre of band i. */
  mid(i: number): number;
  /** Width of the marks in a band. */
  width: number;
  /** Full band width (marks + gap). */
  step: number;
}

export function band(n: number, x0: number, x1: number, inner = 0.6): Band {
  const step = (x1 - x0) / Math.max(1, n);
  const width = step * inner;
  return { x: (i) => x0 + step * i + (step - width) / 2, mid: (i) => x0 + step * (i + 0.5), width, step };
}

/** A 1-2-5 step giving about `count` intervals over span. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const eps = 1e-9;
  return (f <= 1 + eps ? 1 : f <= 2 + eps ? 2 : f <= 5 + eps ? 5 : 10) * mag;
}

/** Largest magnitude an axis shows; beyond it values are clamped (no quantity here comes near). */
const AXIS_LIMIT = 1e12;
/** Smallest span an axis resolves; a flatter domain becomes [min, min + 1]. */
const MIN_SPAN = 1e-9;

const clampAxis = (v: number): number => (Number.isFinite(v) ? Math.max(-AXIS_LIMIT, Math.min(AXIS_LIMIT, v)) : 0);

/** A domain containing [lo, hi] and 0, widened to whole ticks; [0, 1] when there is nothing to show. */
export function niceDomain(lo: number, hi: number, count = 5): { min: number; max: number; ticks: number[] } {
  let min = Math.min(0, clampAxis(lo));
  let max = Math.max(0, clampAxis(hi));
  if (!(max - min >= MIN_SPAN)) max = min + 1;
  const step = niceStep(max - min, count);
  const lo0 = min;
  const hi0 = max;
  min = Math.floor(min / step) * step;
  max = Math.ceil(max / step) * step;
  if (min > lo0) min -= step;
  if (max < hi0) max += step;
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step / 2; i++) ticks.push(Number((min + i * step).toPrecision(12)));
  return { min, max, ticks };
}

/** Tick label: integers plain, others with up to 3 significant digits. */
export function tickLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

export interface AxisOpts {
  frame: Frame;
  y: Scale;
  ticks: number[];
  /** Axis title, with unit, e.g. "Gbit/s". */
  label: string;
  side?: "left" | "right";
  /** Draw horizontal grid lines across the plot (left axis only, normally). */
  grid?: boolean;
  color?: string;
}

/** A vertical axis with ticks, labels (data-value = tick), optional grid, and a rotated title. */
export function yAxis(o: AxisOpts): string {
  const right = o.side === "right";
  const x = right ? plotRight(o.frame) : plotLeft(o.frame);
  const dir = right ? 1 : -1;
  const color = o.color ?? "#333";
  const parts = [el("line", { class: "axis-line", x1: x, x2: x, y1: plotTop(o.frame), y2: plotBottom(o.frame), stroke: color })];
  for (const t of o.ticks) {
    const y = o.y(t);
    if (o.grid) parts.push(el("line", { class: "grid", x1: plotLeft(o.frame), x2: plotRight(o.frame), y1: y, y2: y }));
    parts.push(el("line", { x1: x, x2: x + 5 * dir, y1: y, y2: y, stroke: color }));
    const anchor = right ? "start" : "end";
    parts.push(el("text", { class: "tick", "data-value": dataNum(t), x: x + 8 * dir, y: y + 4, "text-anchor": anchor, fill: color }, esc(tickLabel(t))));
  }
  const tx = right ? o.frame.width - 14 : 14;
  const ty = (plotTop(o.frame) + plotBottom(o.frame)) / 2;
  const title = el("text", { class: "axis-title", x: tx, y: ty, "text-anchor": "middle", fill: color, transform: `rotate(${right ? 90 : -90} ${coord(tx)} ${coord(ty)})` }, esc(o.label));
  return el("g", { class: `axis axis-${right ? "right" : "left"}` }, parts.join("") + title);
}

/** A horizontal base line at value 0 across the plot. */
export function zeroLine(frame: Frame, y: Scale): string {
  return el("line", { class: "zero", x1: plotLeft(frame), x2: plotRight(frame), y1: y(0), y2: y(0), stroke: "#333" });
}

/** Splits text into at most maxLines lines of about maxChars; the last line ends with an ellipsis when cut. */
export function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let cur = "";
  for (const w of words) {
    if (cur && (cur + " " + w).length > maxChars) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  const fit = lines.map((l) => (l.length > maxChars ? `${l.slice(0, Math.max(1, maxChars - 1))}…` : l));
  if (fit.length <= maxLines) return fit;
  const kept = fit.slice(0, maxLines);
  const last = kept[maxLines - 1] ?? "";
  kept[maxLines - 1] = `${last.slice(0, Math.max(1, maxChars - 1))}…`;
  return kept;
}

/** Cell names under the bands, wrapped to the band width; the full name is the label's title. */
export function xLabels(frame: Frame, b: Band, names: string[], ids: string[]): string {
  const maxChars = Math.max(4, Math.floor(b.step / 7));
  const y0 = plotBottom(frame) + 16;
  const labels = names.map((name, i) => {
    const lines = wrap(name, maxChars, 3);
    const spans = lines.map((l, j) => el("tspan", { x: b.mid(i), dy: j === 0 ? 0 : 14 }, esc(l))).join("");
    return el("text", { class: "x-label", "data-cell": ids[i], x: b.mid(i), y: y0, "text-anchor": "middle" }, tip(name) + spans);
  });
  return el("g", { class: "x-labels" }, labels.join(""));
}
