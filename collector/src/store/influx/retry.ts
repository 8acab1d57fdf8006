// Retrying as a decorator around an InfluxTransport: a retryable send is tried
// again after an exponential back-off with jitter, or after the server's
// Retry-After when that is longer. Refused, misconfigured and ok results pass
// through at once.
import type { InfluxTransport, SendResult } from "./transport.ts";

export interface RetryOptions {
  /** Retries after the first attempt; 0 sends once. */
  maxRetries: number;
  /** First back-off (ms); doubles per retry. */
  minDelayMs: number;
  /** Longest wait inside one send (ms). A longer Retry-After is handed back to the caller instead. */
  maxDelayMs: number;
  /** Called before each wait; for counting and logging. */
  onRetry?: (attempt: number, delayMs: number, result: SendResult) => void;
  /** Random in [0, 1); tests inject one. */
  random?: () => number;
}

/** Where the wait before retry `attempt` (1-based) lands: in [d/2, d] for d = min * 2^(attempt-1), capped at max. */
export function backoffMs(attempt: number, o: Pick<RetryOptions, "minDelayMs" | "maxDelayMs">, random: () => number): number {
  const d = Math.min(o.maxDelayMs, o.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** The transport with retries. A final retryable result carries retryAfterMs: when the caller should try next. */
export class RetryingTransport implements InfluxTransport {
  readonly #inner: InfluxTransport;
  readonly #o: RetryOptions;
  readonly #closing = new AbortController();

  constructor(inner: InfluxTransport, o: RetryOptions) {
    this.#inner = inner;
    this.#o = o;
  }

  async send(lines: readonly string[]): Promise<SendResult> {
    const random = this.#o.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      const result = await this.#inner.send(lines);
      if (result.kind !== "retryable") return result;
      const delay = Math.max(backoffMs(attempt, this.#o, random), result.retryAfterMs ?? 0);
      if (attempt > this.#o.maxRetries || delay > this.#o.maxDelayMs || this.#closing.signal.aborted) {
        return { kind: "retryable", reason: `${result.reason} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`, retryAfterMs: delay };
      }
      this.#o.onRetry?.(attempt, delay, result);
      if (!(await sleep(delay, this.#closing.signal))) {
        return { kind: "retryable", reason: `${result.reason} (store closing)`, retryAfterMs: delay };
      }
    }
  }

  /** Cuts any wait short; safe twice. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#inner.close();
  }
}

/** Resolves true after ms, or false as soon as signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort);
  });
}
