// The shape of a /proc text that prints the same words in the same places on every read and only its numbers
// change (/proc/stat, /proc/net/dev, snmp, netstat, softirqs, softnet_stat): remembered from one read, matched
// token by token against the next, yielding the numbers without splitting the text into lines and words.
// why: at 10 Hz, splitting and checking every line again was most of a /proc sampler's tick. A read that does
// not match (a new interface, a counter a new kernel added, a truncated read) goes to the full parser, which
// stays the one definition of what a file means; a shape is only built from a text the full parser accepted
// without errors, and accepts only texts that parser reads the same way.

// Token kinds, one per word of a line; a string token is a word that must be there, unchanged.
/** An unsigned decimal integer (host/text uint), read into the next value. */
export const UINT = 0;
/** A signed decimal integer (host/text int), read into the next value. */
export const INT = 1;
/** An unsigned hexadecimal integer (host/text hex), read into the next value. */
export const HEX = 2;
/** A hexadecimal integer that must be there but is not used. */
export const SKIP_HEX = 3;
/** Any word (printable ASCII), not used. */
export const WORD = 4;
/** The rest of the line (a line's last token), possibly empty, without \r or non-ASCII characters (what a regex `.*` matches). */
export const REST = 5;
/** The rest of the line (a line's last token), unchecked (e.g. the thousands of counts of /proc/stat's "intr" line). */
export const SKIP = 6;
const EOL = -1;
const LITERAL = -2;
/** A line start without spaces before the first word. */
const FLUSH = -3;

export type Token = string | number;
/** The tokens of one line from its words, or undefined when the line cannot be described (no shape). */
export type LineTokens = (words: readonly string[], index: number) => readonly Token[] | undefined;

/** How many digits a double holds exactly (as host/text: then a bigint needs no string). */
const EXACT_DIGITS = 15;
const EXACT_HEX_DIGITS = 13;

export class Shape {
  /** Per token: its kind (LITERAL for a word, or phrase of words, that must be there unchanged). */
  readonly #kinds: Int8Array;
  readonly #literals: readonly string[];
  /** Per token: how many words it stands for (a run of WORD or SKIP_HEX tokens is one token). */
  readonly #counts: Int32Array;
  /** Values a matching read yields (UINT, INT and HEX tokens, in text order). */
  readonly size: number;
  /**
   * Per value: the last unsigned decimal read there, as a number and as a bigint. why: most counters do not move
   * between two reads 100 ms apart (errors, drops, idle cpus); their bigint is reused instead of made afresh.
   */
  readonly #lastNumber: Float64Array;
  readonly #lastBigint: bigint[];

  private constructor(tokens: Token[]) {
    // why: most words of a snmp value line are not wanted; a run of them is skipped in one tight loop.
    const runs: Array<[Token, number]> = [];
    for (const t of tokens) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[0] === t && (t === WORD || t === SKIP_HEX)) last[1]++;
      else runs.push([t, 1]);
    }
    this.#kinds = Int8Array.from(runs, ([t]) => (typeof t === "string" ? LITERAL : t));
    this.#literals = runs.map(([t]) => (typeof t === "string" ? t : ""));
    this.#counts = Int32Array.from(runs, ([, count]) => count);
    this.size = tokens.filter((t) => t === UINT || t === INT || t === HEX).length;
    this.#lastNumber = new Float64Array(this.size).fill(-1);
    this.#lastBigint = new Array<bigint>(this.size).fill(0n);
  }

  /**
   * The shape of `text` (whose non-blank lines are split at runs of spaces into words), or undefined when a line
   * cannot be described or the text would not match its own shape (tabs, blank lines: left to the full parser).
   */
  static of(text: string, describe: LineTokens): Shape | undefined {
    const tokens: Token[] = [];
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    for (const [i, line] of lines.entries()) {
      // why: words are split at spaces here and by /\s+/ in the parsers: the same only without other whitespace.
      if (/[^\x20-\x7e]/.test(line)) return undefined;
      const words = [...line.matchAll(/[^ ]+/g)];
      const described = describe(
        words.map((w) => w[0]),
        i,
      );
      if (described === undefined) return undefined;
      // why: a line that starts at its first word must keep doing so (parseSnmp does not take a leading space);
      // one that starts with spaces (right-aligned names) may have any number, as its parser trims them.
      if (!line.startsWith(" ")) tokens.push(FLUSH);
      // why: a run of words that must be there (a header line, a line's name) is matched as one phrase, with
      // the spaces it had: the kernel prints them with a fixed format.
      for (let k = 0; k < described.length; k++) {
        const token = described[k] as Token;
        const last = tokens.length - 1;
        if (typeof token === "string" && k > 0 && typeof described[k - 1] === "string" && typeof tokens[last] === "string") {
          const from = words[k - 1] as RegExpMatchArray;
          const to = words[k] as RegExpMatchArray;
          tokens[last] += line.slice((from.index as number) + from[0].length, (to.index as number) + to[0].length);
        } else tokens.push(token);
      }
      tokens.push(EOL);
    }
    const shape = new Shape(tokens);
    return shape.read(text, new Array<bigint | undefined>(shape.size)) ? shape : undefined;
  }

  /** Reads `text` into `out` (size values); false when it does not have this shape (`out` then partly written). */
  read(text: string, out: Array<bigint | undefined>): boolean {
    const kinds = this.#kinds;
    const n = text.length;
    let pos = 0;
    let slot = 0;
    let lineStart = true;
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[k] as number;
      if (kind === FLUSH) {
        if (text.charCodeAt(pos) === 32) return false;
        continue;
      }
      if (kind === REST || kind === SKIP) {
        pos = kind === SKIP ? lineEnd(text, pos) : restEnd(text, pos);
        if (pos < 0) return false;
        continue;
      }
      const start = pos;
      while (pos < n && text.charCodeAt(pos) === 32) pos++;
      if (kind === EOL) {
        if (pos < n && text.charCodeAt(pos++) !== 10) return false;
        lineStart = true;
        continue;
      }
      // why: words are separated by spaces; a line that ends early leaves no space before where a word should be.
      if ((pos === start && !lineStart) || pos >= n) return false;
      lineStart = false;
      if (kind === UINT) {
        pos = this.#uint(text, pos, out, slot++);
        if (pos < 0) return false;
        continue;
      }
      if (kind === LITERAL) {
        const literal = this.#literals[k] as string;
        if (!text.startsWith(literal, pos)) return false;
        pos += literal.length;
        if (pos < n && !isSeparator(text.charCodeAt(pos))) return false;
        continue;
      }
      if (kind === WORD || kind === SKIP_HEX) {
        pos = skipWords(text, pos, kind, this.#counts[k] as number);
        if (pos < 0) return false;
        continue;
      }
      const end = numberEnd(text, pos, kind);
      if (end < 0) return false;
      out[slot++] = numberValue(text, pos, end, kind);
      pos = end;
    }
    return pos === n;
  }

  /** The common token in one pass: an unsigned decimal at `pos` into out[slot]; returns its end, or -1. */
  #uint(text: string, pos: number, out: Array<bigint | undefined>, slot: number): number {
    const start = pos;
    let v = 0;
    for (; pos < text.length; pos++) {
      const d = text.charCodeAt(pos) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (pos === start || (pos < text.length && !isSeparator(text.charCodeAt(pos)))) return -1;
    if (pos - start > EXACT_DIGITS) out[slot] = BigInt(text.slice(start, pos));
    else if (this.#lastNumber[slot] === v) out[slot] = this.#lastBigint[slot];
    else {
      const b = BigInt(v);
      this.#lastNumber[slot] = v;
      this.#lastBigint[slot] = b;
      out[slot] = b;
    }
    return pos;
  }
}

function isSeparator(c: number): boolean {
  return c === 32 || c === 10;
}

function lineEnd(text: string, pos: number): number {
  const end = text.indexOf("\n", pos);
  return end < 0 ? text.length : end;
}

function restEnd(text: string, pos: number): number {
  for (; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (c === 10) return pos;
    if (c === 13 || c > 126) return -1;
  }
  return pos;
}

/** The end of `count` words (WORD) or hexadecimal numbers (SKIP_HEX) from `pos`, one or more spaces apart; -1 if not there. */
function skipWords(text: string, pos: number, kind: number, count: number): number {
  for (;;) {
    pos = kind === WORD ? wordEnd(text, pos) : numberEnd(text, pos, kind);
    if (pos < 0 || --count === 0) return pos;
    const start = pos;
    while (pos < text.length && text.charCodeAt(pos) === 32) pos++;
    if (pos === start || pos >= text.length) return -1;
  }
}

function wordEnd(text: string, pos: number): number {
  const start = pos;
  for (; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (isSeparator(c)) break;
    if (c < 33 || c > 126) return -1;
  }
  return pos > start ? pos : -1;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** End of the number at `pos`, or -1 when the word there is not one. */
function numberEnd(text: string, pos: number, kind: number): number {
  const hex = kind === HEX || kind === SKIP_HEX;
  if (kind === INT && text.charCodeAt(pos) === 45) pos++;
  const start = pos;
  for (; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (isSeparator(c)) break;
    if (hex ? hexDigit(c) < 0 : c < 48 || c > 57) return -1;
  }
  return pos > start ? pos : -1;
}

/** The value of the number text[start, end), as host/text's uint, int and hex give it. */
function numberValue(text: string, start: number, end: number, kind: number): bigint {
  const negative = text.charCodeAt(start) === 45;
  if (negative) start++;
  const digits = end - start;
  let magnitude: bigint;
  if (kind === HEX) {
    if (digits > EXACT_HEX_DIGITS) magnitude = BigInt(`0x${text.slice(start, end)}`);
    else {
      let v = 0;
      for (let i = start; i < end; i++) v = v * 16 + hexDigit(text.charCodeAt(i));
      magnitude = BigInt(v);
    }
  } else if (digits > EXACT_DIGITS) magnitude = BigInt(text.slice(start, end));
  else {
    let v = 0;
    for (let i = start; i < end; i++) v = v * 10 + (text.charCodeAt(i) - 48);
    magnitude = BigInt(v);
  }
  return negative ? -magnitude : magnitude;
}
