// Busy notices: per gRPC stream, the batches the collector admitted and has not acked yet. A stream whose waiting
// batches have seen no ack for `everyMs` (the store is slow or failing, or flow control stopped reading the stream)
// is sent a Busy message, again every `everyMs` while that lasts. The agent restarts its ack deadline on it: its
// batches are delayed, not lost, and reconnecting would only add work (a new session, every batch in flight sent
// again and answered as a duplicate). A collector that no longer runs its event loop sends none, and the agent's
// deadline still catches it.
import type { Busy } from "@eastwest/proto";

interface Waiting {
  batches: number;
  /** When the stream last made progress: its first waiting batch, or its last ack since. */
  sinceMs: number;
  /** When the last notice went to it. */
  noticedMs: number;
}

export class BusyNotices<S> {
  readonly #everyMs: number;
  readonly #send: (stream: S, busy: Busy) => void;
  readonly #clock: () => number;
  readonly #waiting = new Map<S, Waiting>();
  #timer: NodeJS.Timeout | undefined;

  constructor(everyMs: number, send: (stream: S, busy: Busy) => void, clock: () => number = Date.now) {
    this.#everyMs = everyMs;
    this.#send = send;
    this.#clock = clock;
  }

  /** A batch of the stream was admitted (it waits for its ack). */
  admitted(stream: S): void {
    const w = this.#waiting.get(stream);
    if (w !== undefined) return void w.batches++;
    const now = this.#clock();
    this.#waiting.set(stream, { batches: 1, sinceMs: now, noticedMs: now });
    this.#arm();
  }

  /** A batch of the stream was answered (acked, refused or failed): progress. */
  settled(stream: S): void {
    const w = this.#waiting.get(stream);
    if (w === undefined) return;
    w.batches--;
    w.sinceMs = this.#clock();
    if (w.batches <= 0) this.#waiting.delete(stream);
  }

  /** The stream ended. */
  forget(stream: S): void {
    this.#waiting.delete(stream);
  }

  /** Sends the notices that are due; the timer calls it, tests may too. */
  tick(): void {
    const now = this.#clock();
    for (const [stream, w] of this.#waiting) {
      if (now - w.sinceMs < this.#everyMs || now - w.noticedMs < this.#everyMs) continue;
      w.noticedMs = now;
      this.#send(stream, { batchesWaiting: w.batches, waitingMs: BigInt(now - w.sinceMs) });
    }
    if (this.#waiting.size === 0) this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.tick(), Math.max(50, Math.floor(this.#everyMs / 4)));
    this.#timer.unref();
  }
}
