// The agent's bounded buffer of unacked batches.
//
// Contract: a batch leaves the outbox only when the collector acks it (stored,
// duplicate or invalid) or when the outbox overflows (oldest dropped, counted;
// the collector then sees a gap). Sequence numbers are strictly increasing per
// agent: until the collector has told us the highest seq it holds for us
// (Welcome), batches wait without a seq so a restarted agent never reuses one.
import type { Sample } from "@eastwest/common";

export interface OutboxEntry {
  seq: bigint | undefined;
  points: Sample[];
  createdNs: bigint;
  inFlight: boolean;
  sends: number;
}

export interface OutboxStats {
  bufferedBatches: number;
  bufferedPoints: number;
  droppedBatches: bigint;
  droppedPoints: bigint;
  resentBatches: bigint;
  rejectedBatches: bigint;
  ackedBatches: bigint;
}

export class Outbox {
  readonly #max: number;
  #entries: OutboxEntry[] = [];
  #nextSeq: bigint | undefined;
  #stats = { droppedBatches: 0n, droppedPoints: 0n, resentBatches: 0n, rejectedBatches: 0n, ackedBatches: 0n };

  constructor(maxBatches: number) {
    this.#max = maxBatches;
  }

  get nextSeq(): bigint | undefined {
    return this.#nextSeq;
  }

  add(points: Sample[], createdNs: bigint): void {
    if (points.length === 0) return;
    const seq = this.#nextSeq;
    if (seq !== undefined) this.#nextSeq = seq + 1n;
    this.#entries.push({ seq, points, createdNs, inFlight: false, sends: 0 });
    this.#dropOverflow();
  }

  /** Over maxBatches: the oldest go, counted. */
  #dropOverflow(): void {
    while (this.#entries.length > this.#max) {
      const dropped = this.#entries.shift() as OutboxEntry;
      this.#stats.droppedBatches += 1n;
      this.#stats.droppedPoints += BigInt(dropped.points.length);
    }
  }

  /**
   * Batches spooled by an earlier run of this agent: queued ahead of everything, without a seq (they get theirs,
   * in this order, once the collector says what it holds). Overflow drops the oldest, as for add.
   */
  restore(batches: ReadonlyArray<{ points: Sample[]; createdNs: bigint }>): void {
    // why: seqs rise with age in the outbox; once one is given out, older batches could not be numbered below it.
    if (this.#nextSeq !== undefined) throw new Error("outbox: restore only before the collector's Welcome");
    const restored: OutboxEntry[] = batches.filter((b) => b.points.length > 0).map((b) => ({ seq: undefined, points: b.points, createdNs: b.createdNs, inFlight: false, sends: 0 }));
    this.#entries = [...restored, ...this.#entries];
    this.#dropOverflow();
  }

  /** Every batch not yet acked, oldest first (what the agent spools when it stops). */
  unacked(): Array<{ points: Sample[]; createdNs: bigint }> {
    return this.#entries.map((e) => ({ points: e.points, createdNs: e.createdNs }));
  }

  /** The collector holds seqs up to `highest` for us: continue above it, and above our own. */
  setBase(highest: bigint): void {
    let next = highest + 1n;
    if (this.#nextSeq !== undefined && this.#nextSeq > next) next = this.#nextSeq;
    for (const e of this.#entries) {
      if (e.seq === undefined) e.seq = next++;
    }
    this.#nextSeq = next;
  }

  /** Batches that have a seq and are not in flight, oldest first, at most `limit`. */
  takeSendable(limit: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.#entries) {
      if (out.length >= limit) break;
      if (e.seq === undefined || e.inFlight) continue;
      e.inFlight = true;
      if (e.sends > 0) this.#stats.resentBatches += 1n;
      e.sends += 1;
      out.push(e);
    }
    return out;
  }

  inFlightCount(): number {
    return this.#entries.reduce((n, e) => n + (e.inFlight ? 1 : 0), 0);
  }

  /** The oldest in-flight batch's first send time is tracked by the transport; here: is anything in flight? */
  oldestInFlight(): OutboxEntry | undefined {
    return this.#entries.find((e) => e.inFlight);
  }

  /** Removes the batch; `rejected` counts batches the collector refused as invalid. Unknown seqs are ignored. */
  ack(seq: bigint, rejected = false): boolean {
    const i = this.#entries.findIndex((e) => e.seq === seq);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    this.#stats.ackedBatches += 1n;
    if (rejected) this.#stats.rejectedBatches += 1n;
    return true;
  }

  /** On disconnect: everything unacked becomes sendable again. */
  requeueInFlight(): void {
    for (const e of this.#entries) e.inFlight = false;
  }

  size(): number {
    return this.#entries.length;
  }

  stats(): OutboxStats {
    return {
      bufferedBatches: this.#entries.length,
      bufferedPoints: this.#entries.reduce((n, e) => n + e.points.length, 0),
      ...this.#stats,
    };
  }
}
