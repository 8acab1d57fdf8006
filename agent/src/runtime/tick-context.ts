// A sampler tick's context and its lazily armed deadline (runtime/scheduler.ts makes one per tick).
import type { SampleContext } from "../samplers/types.ts";
import type { Exec } from "./exec.ts";
import type { HostFs } from "./hostfs.ts";

/**
 * A tick's deadline as an AbortSignal, made on first use. why: most samplers never look at it, and a timer armed
 * per tick (AbortSignal.timeout) fires after every tick, waking the process and building a DOMException each time.
 */
export class Deadline {
  readonly #atMs: number;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(atMs: number) {
    this.#atMs = atMs;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      const abort = () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
      const leftMs = this.#atMs - Date.now();
      if (leftMs <= 0) abort();
      else {
        this.#timer = setTimeout(abort, leftMs);
        this.#timer.unref();
      }
      this.#controller = controller;
    }
    return this.#controller.signal;
  }

  /** The tick is over: its deadline no longer matters. */
  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * A tick's context. why: a class with the signal getter on its prototype; an object literal with a getter is
 * built by a slow runtime path, and that was a visible share of a 10 Hz tick.
 */
export class TickContext implements SampleContext {
  readonly nowNs: bigint;
  readonly fs: HostFs;
  readonly exec: Exec;
  readonly baseTags: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly intervalMs: number;
  readonly #signal: () => AbortSignal;

  constructor(e: { options: Readonly<Record<string, unknown>>; intervalMs: number }, deps: Pick<SampleContext, "fs" | "exec" | "baseTags">, nowNs: bigint, signal: () => AbortSignal) {
    this.nowNs = nowNs;
    this.fs = deps.fs;
    this.exec = deps.exec;
    this.baseTags = deps.baseTags;
    this.options = e.options;
    this.intervalMs = e.intervalMs;
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return this.#signal();
  }

  readClock(): bigint {
    return process.hrtime.bigint();
  }
}
