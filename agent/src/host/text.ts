// Small pure helpers shared by the /proc and tool-output parsers.
// why: the /proc parsers run every tick (10 Hz during runs), so the number and line helpers scan characters
// instead of testing regular expressions (each returns exactly what its regex form would); words() keeps
// split(/\s+/), which V8 runs faster than a character loop.

/** Longest digit string whose value a double holds exactly (and so converts to a bigint without a string). */
const EXACT_DIGITS = 15;
const EXACT_HEX_DIGITS = 13;

/** Unsigned decimal integer, or undefined when `text` is not one. */
export function uint(text: string | undefined): bigint | undefined {
  if (text === undefined || text.length === 0) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return text.length <= EXACT_DIGITS ? BigInt(n) : BigInt(text);
}

/** Signed decimal integer (e.g. /proc/net/snmp Tcp MaxConn is -1), or undefined. */
export function int(text: string | undefined): bigint | undefined {
  if (text === undefined || text.charCodeAt(0) !== 45) return uint(text);
  const magnitude = uint(text.slice(1));
  return magnitude === undefined ? undefined : -magnitude;
}

/** Unsigned hexadecimal integer without prefix, or undefined. */
export function hex(text: string | undefined): bigint | undefined {
  if (text === undefined || text.length === 0) return undefined;
  for (let i = 0; i < text.length; i++) if (hexDigit(text.charCodeAt(i)) < 0) return undefined;
  return text.length <= EXACT_HEX_DIGITS ? BigInt(Number.parseInt(text, 16)) : BigInt(`0x${text}`);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** What /\s/ matches (and trim() removes): ASCII whitespace, NBSP, the Unicode space separators, BOM. */
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 160) return false;
  return c === 160 || c === 5760 || (c >= 8192 && c <= 8202) || c === 8232 || c === 8233 || c === 8239 || c === 8287 || c === 12288 || c === 65279;
}

/** Lines without trailing whitespace; blank lines dropped. */
export function lines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let last = end;
    while (last > start && isSpace(text.charCodeAt(last - 1))) last--;
    if (last > start) out.push(text.slice(start, last));
    start = end + 1;
  }
  return out;
}

export function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** A line shortened for error messages. */
export function excerpt(line: string): string {
  const t = line.trim();
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
}
