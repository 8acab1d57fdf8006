// The hold queue: while samples are held, ticks of samplers that split (capture, decode) only capture, and their
// captures wait here in tick order; when the hold ends (release, its time, its memory limit, stop) they are decoded
// in tick order, one at a time, through `decode`. Ticks that capture while the backlog is decoded queue behind it.
// Contract: hold(forMs) extends or starts a hold (at most limits.maxMs); release() ends it and starts decoding;
// a new hold pauses the decoding (its traffic should not share its CPUs with it), its end resumes it; settle()
// resolves when no decoding runs (after release(): when everything held is decoded).
import type { Logger } from "@eastwest/common";
import type { Captured, SampleContext } from "../samplers/types.ts";

export interface HoldLimits {
  /** Captures held take at most about this much memory; past it the hold ends early and they are decoded. */
  maxBytes: number;
  /** A hold lasts at most this long, whatever it asks for. */
  maxMs: number;
}

export const DEFAULT_HOLD_LIMITS: HoldLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 600_000 };

export interface HoldState {
  holding: boolean;
  /** Captures waiting to be decoded (also while a hold that ended is being decoded). */
  heldTicks: number;
  heldBytes: number;
}

/** A tick that captured while samples were held. */
export interface HeldTick<E> {
  entry: E;
  ctx: SampleContext;
  captured: Captured;
  /** The capture's own time: part of the tick's duration. */
  captureNs: bigint;
}

/** Held ticks decoded per event-loop turn. */
const DECODES_PER_TURN = 50;

export class HoldQueue<E> {
  readonly #limits: HoldLimits;
  readonly #logger: Logger;
  readonly #decode: (h: HeldTick<E>) => Promise<void>;
  #holding = false;
  #timer: NodeJS.Timeout | undefined;
  /** Captures not decoded yet, in tick order. */
  #held: Array<HeldTick<E>> = [];
  #bytes = 0;
  /** Decoding what a hold kept; while it runs, ticks of splitting samplers still capture (behind what is held). */
  #draining: Promise<void> | undefined;

  constructor(limits: HoldLimits, logger: Logger, decode: (h: HeldTick<E>) => Promise<void>) {
    this.#limits = limits;
    this.#logger = logger;
    this.#decode = decode;
  }

  /** Ticks of splitting samplers capture (and keep) instead of sampling: holding, or decoding what was held. */
  get active(): boolean {
    return this.#holding || this.#draining !== undefined;
  }

  /** Holds for forMs > 0 from now (extending a hold; at most limits.maxMs). */
  hold(forMs: number): HoldState {
    const ms = Math.min(forMs, this.#limits.maxMs);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.release("hold time over"), ms);
    this.#timer.unref();
    if (!this.#holding) this.#logger.debug({ for_ms: ms }, "holding samples");
    this.#holding = true;
    return this.state();
  }

  state(): HoldState {
    return { holding: this.#holding, heldTicks: this.#held.length, heldBytes: this.#bytes };
  }

  keep(h: HeldTick<E>): void {
    this.#held.push(h);
    this.#bytes += h.captured.bytes;
    if (!this.#holding) this.#drainSoon();
    else if (this.#bytes > this.#limits.maxBytes) {
      this.#logger.warn({ held_bytes: this.#bytes, max_bytes: this.#limits.maxBytes, held_ticks: this.#held.length }, "hold ended early: held captures reached hold.maxBytes");
      this.release("memory limit");
    }
  }

  /** Ends the hold (if any) and decodes what was held, in the background. */
  release(why: string): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#holding) this.#logger.debug({ why, held_ticks: this.#held.length, held_bytes: this.#bytes }, "hold ended: decoding held samples");
    this.#holding = false;
    this.#drainSoon();
  }

  /** Resolves when no decoding runs. */
  async settle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  #drainSoon(): void {
    if (this.#draining !== undefined || this.#held.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // why: a capture that finished between the drain's last look and now is still held.
      if (!this.#holding) this.#drainSoon();
    });
  }

  /** Decodes the held captures in tick order, and those captured meanwhile, until none is left or a new hold starts. */
  async #drain(): Promise<void> {
    let decoded = 0;
    while (!this.#holding) {
      // why: shift() on a large array is cheap in V8 (it moves the array's start), and keeps one queue in order.
      const h = this.#held.shift();
      if (h === undefined) break;
      this.#bytes -= h.captured.bytes;
      await this.#decode(h);
      // why: a long hold decodes for a while: let batches go out and timers fire meanwhile.
      if (++decoded % DECODES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    }
    // why: sizes are estimates summed in and out; an empty queue holds nothing.
    if (this.#held.length === 0) this.#bytes = 0;
  }
}
