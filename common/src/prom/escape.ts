// Escaping and number formatting of the Prometheus text format 0.0.4 and OpenMetrics 1.0.0. Pure.
//
// Label values (both formats): backslash, double quote and line feed are escaped (\\, \", \n). HELP: the text format
// knows only \\ and \n (any other escape is a parse error there); OpenMetrics also escapes the double quote.
// Strings are made well-formed first (a lone UTF-16 surrogate becomes U+FFFD) so the bytes sent are valid UTF-8.

export type ExpositionFormat = "text" | "openmetrics";

/** A lone surrogate (no pair): invalid UTF-16, which no UTF-8 can carry. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, "\uFFFD");
}

export function escapeLabelValue(value: string): string {
  const v = wellFormed(value);
  return /[\\"\n]/.test(v) ? v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : v;
}

export function escapeHelp(help: string, format: ExpositionFormat): string {
  const v = wellFormed(help);
  const re = format === "openmetrics" ? /[\\"\n]/g : /[\\\n]/g;
  return v.replace(re, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/**
 * A sample value: NaN, +Inf, -Inf as both formats spell them; integers (bigint) exactly when not scaled; floats in
 * JavaScript's shortest round-trip form ("1e+21", "1.5e-7" are valid in both formats). Booleans are 1 and 0.
 */
export function formatValue(value: number | bigint | boolean, scale: number): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "bigint" && scale === 1) return value.toString();
  return formatFloat(scaled(Number(value), scale));
}

/** why: dividing by 1e9 gives 0.181026 where multiplying by 1e-9 gives 0.18102600000000002. */
function scaled(n: number, scale: number): number {
  if (scale === 1) return n;
  const inverse = Math.round(1 / scale);
  return scale < 1 && Math.abs(1 / scale - inverse) < 1e-6 ? n / inverse : n * scale;
}

export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}
