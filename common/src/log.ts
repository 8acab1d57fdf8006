// JSON logs (pino) to stderr, so stdout stays free for command output.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** `destination`: where the lines go (default stderr; tests read them from a stream). */
export function createLogger(name: string, level = "info", destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, base: { pid: process.pid, component: name } }, destination);
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Longest string value a throttled line carries; longer ones are cut and say how long they were. */
export const LOG_VALUE_MAX_CHARS = 200;

/** One value as a throttled line shows it: strings cut to maxChars, bigints as decimal strings, objects as cut JSON. */
export function capValue(v: unknown, maxChars = LOG_VALUE_MAX_CHARS): unknown {
  if (typeof v === "bigint") return String(v);
  if (typeof v === "string") return v.length > maxChars ? `${v.slice(0, maxChars)}... (${v.length} chars)` : v;
  if (v !== null && typeof v === "object") {
    let s: string;
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x)) ?? "";
    } catch {
      s = String(v);
    }
    return capValue(s, maxChars);
  }
  return v;
}

export interface ThrottleOptions {
  /** Lines per key per window; the rest are counted and reported as `suppressed` on the key's next line. Default 10. */
  perWindow?: number;
  /** Default 60,000 (a minute). */
  windowMs?: number;
  /** Keys tracked at once; past it, new keys share one. Default 1,024. */
  maxKeys?: number;
  maxValueChars?: number;
  /** ms; tests inject one. */
  clock?: () => number;
}

const OTHER_KEYS = "(other keys)";

interface Window {
  startMs: number;
  lines: number;
  suppressed: number;
}

/**
 * A logger for what hostile or broken peers can cause (bad frames, refused batches, failed requests): at most
 * perWindow lines per key (e.g. the message and a reason class) per window, each value cut to maxValueChars, and
 * the number of lines left out since the key's last line as `suppressed` on its next one. Bounded in memory: at
 * most maxKeys windows, which are dropped when the window ends.
 */
export class ThrottledLog {
  readonly #logger: Logger;
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #maxChars: number;
  readonly #clock: () => number;
  readonly #windows = new Map<string, Window>();
  /** Lines left out in all, for tests and the collector's own metrics. */
  suppressed = 0;

  constructor(logger: Logger, o: ThrottleOptions = {}) {
    this.#logger = logger;
    this.#perWindow = o.perWindow ?? 10;
    this.#windowMs = o.windowMs ?? 60_000;
    this.#maxKeys = o.maxKeys ?? 1024;
    this.#maxChars = o.maxValueChars ?? LOG_VALUE_MAX_CHARS;
    this.#clock = o.clock ?? Date.now;
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.#log("warn", key, fields, msg);
  }

  error(key: string, fields: Record<string, unknown>, msg: string): void {
    this.#log("error", key, fields, msg);
  }

  #log(level: "warn" | "error", key: string, fields: Record<string, unknown>, msg: string): void {
    const w = this.#window(key);
    if (w.lines >= this.#perWindow) {
      w.suppressed++;
      this.suppressed++;
      return;
    }
    w.lines++;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) out[k] = capValue(v, this.#maxChars);
    if (w.suppressed > 0) out["suppressed"] = w.suppressed;
    w.suppressed = 0;
    this.#logger[level](out, capValue(msg, this.#maxChars) as string);
  }

  #window(key: string): Window {
    const now = this.#clock();
    const k = key.length > 100 ? key.slice(0, 100) : key;
    let w = this.#windows.get(k);
    if (w && now - w.startMs >= this.#windowMs) {
      // A new window keeps the count of what the old one left out, to report it on the next line.
      w = { startMs: now, lines: 0, suppressed: w.suppressed };
      this.#windows.set(k, w);
    }
    if (w) return w;
    if (this.#windows.size >= this.#maxKeys && k !== OTHER_KEYS) {
      for (const [key2, w2] of this.#windows) if (now - w2.startMs >= this.#windowMs && w2.suppressed === 0) this.#windows.delete(key2);
      // why: OTHER_KEYS itself may be the one entry past maxKeys, so this recursion ends.
      if (this.#windows.size >= this.#maxKeys) return this.#window(OTHER_KEYS);
    }
    w = { startMs: now, lines: 0, suppressed: 0 };
    this.#windows.set(k, w);
    return w;
  }
}
