// Collects points from samplers into batches of at most maxPoints, flushing
// when full or when the oldest point has waited maxDelayMs.
import type { Sample } from "@eastwest/common";

export class Batcher {
  readonly #maxPoints: number;
  readonly #maxDelayMs: number;
  readonly #emit: (points: Sample[]) => void;
  #pending: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { maxPoints: number; maxDelayMs: number; emit: (points: Sample[]) => void }) {
    this.#maxPoints = opts.maxPoints;
    this.#maxDelayMs = opts.maxDelayMs;
    this.#emit = opts.emit;
  }

  add(points: readonly Sample[]): void {
    for (const p of points) {
      this.#pending.push(p);
      if (this.#pending.length >= this.#maxPoints) this.flush();
    }
    if (this.#pending.length > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#maxDelayMs);
      this.#timer.unref();
    }
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const points = this.#pending;
    this.#pending = [];
    this.#emit(points);
  }

  close(): void {
    this.flush();
  }
}
