// The agent's bounded buffer of unacked batches.
//
// Contract: a batch leaves the outbox only when the collector acks it (stored, duplicate or invalid) or when a
// bound drops it (over maxBatches here, or the spool full: the oldest go, counted; the collector sees a gap).
// A batch is numbered with the agent's seq when it is made, encoded once (the Batch bytes the transports send)
// and given to the journal (the spool) at once. Seqs rise strictly and are never reused: numbering continues
// above the highest seq the spool knows (restore; 1 for an empty spool) and above what the collector holds
// (setBase). Without restore (no spool) batches wait unnumbered until the collector's Welcome. Batches numbered
// before this process's first Welcome are provisional (and restored ones too while no Welcome ever confirmed
// the spool's numbering): if the collector already holds one of their seqs (the spool lost what it numbered: a
// new spool for a known agent, a power loss inside the fsync window, a spool that was unwritable), they are all
// renumbered above it and journaled again as superseding their old seqs, so none is taken for a duplicate.
import { BatchEncoder, withSeq } from "@eastwest/proto/wire";
import type { Sample } from "@eastwest/common";
import type { SpoolRecord } from "./spool-format.ts";

export interface OutboxEntry {
  seq: bigint | undefined;
  /** The Batch as protobuf bytes, set with the seq. */
  bytes: Buffer | undefined;
  /** Points in the batch. */
  count: number;
  createdNs: bigint;
  inFlight: boolean;
  sends: number;
  /** Kept until the entry is numbered. */
  points: Sample[] | undefined;
  provisional: boolean;
}

/** Where numbered batches are persisted (runtime/spool.ts). */
export interface OutboxJournal {
  append(record: SpoolRecord): void;
  /** Every seq <= mark is acked or dropped. */
  settled(mark: bigint): void;
  /** A collector's Welcome confirmed the numbering (after the provisional batches were renumbered if needed). */
  confirm(): void;
}

export interface OutboxOptions {
  /** The agent id the encoded batches carry. */
  agentId?: string;
  journal?: OutboxJournal;
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
  readonly #agentId: string;
  readonly #journal: OutboxJournal | undefined;
  readonly #encoder = new BatchEncoder();
  #entries: OutboxEntry[] = [];
  #nextSeq: bigint | undefined;
  #welcomed = false;
  #mark = -1n;
  #stats = { droppedBatches: 0n, droppedPoints: 0n, resentBatches: 0n, rejectedBatches: 0n, ackedBatches: 0n };

  constructor(maxBatches: number, o: OutboxOptions = {}) {
    this.#max = maxBatches;
    this.#agentId = o.agentId ?? "";
    this.#journal = o.journal;
  }

  get nextSeq(): bigint | undefined {
    return this.#nextSeq;
  }

  add(points: Sample[], createdNs: bigint): void {
    if (points.length === 0) return;
    const e: OutboxEntry = { seq: undefined, bytes: undefined, count: points.length, createdNs, inFlight: false, sends: 0, points, provisional: false };
    this.#entries.push(e);
    if (this.#nextSeq !== undefined) {
      this.#number(e, this.#nextSeq);
      this.#nextSeq += 1n;
      e.provisional = !this.#welcomed;
      this.#journal?.append(recordOf(e));
    }
    this.#dropOverflow();
  }

  #number(e: OutboxEntry, seq: bigint): void {
    e.seq = seq;
    e.bytes = this.#encoder.encodeBatch(this.#agentId, seq, e.points as Sample[], e.createdNs);
    e.points = undefined;
  }

  /**
   * What the spool held from earlier runs: batches never acked, under their seqs (ascending), queued ahead of
   * everything; numbering continues above `highest` (from 1 when undefined). `confirmed`: a Welcome confirmed
   * those seqs (else they are provisional). Only before the first batch.
   */
  restore(records: readonly SpoolRecord[], highest: bigint | undefined, confirmed: boolean): void {
    // why: seqs rise with age in the outbox; once one is given out, older batches could not be numbered below it.
    if (this.#nextSeq !== undefined || this.#entries.length > 0) throw new Error("outbox: restore only before the first batch");
    const provisional = !confirmed;
    this.#entries = records.map((r) => ({ seq: r.seq, bytes: r.bytes, count: r.points, createdNs: 0n, inFlight: false, sends: 0, points: undefined, provisional }));
    this.#nextSeq = (highest ?? 0n) + 1n;
    if (this.#entries.length > 0) this.#mark = (this.#entries[0]?.seq as bigint) - 1n;
    this.#dropOverflow();
  }

  /** The collector holds seqs up to `highest` for us: continue above it, and above our own. */
  setBase(highest: bigint): void {
    let next = highest + 1n;
    if (this.#nextSeq !== undefined && this.#nextSeq > next) next = this.#nextSeq;
    const clash = this.#entries.some((e) => e.provisional && (e.seq as bigint) <= highest);
    const journal: SpoolRecord[] = [];
    for (const e of this.#entries) {
      if (e.seq === undefined) {
        this.#number(e, next++);
        journal.push(recordOf(e));
      } else if (clash && e.provisional) {
        const old = e.seq;
        e.seq = next++;
        e.bytes = withSeq(e.bytes as Buffer, e.seq);
        journal.push({ ...recordOf(e), supersedes: old });
      }
      e.provisional = false;
    }
    this.#nextSeq = next;
    const first = !this.#welcomed;
    this.#welcomed = true;
    for (const r of journal) this.#journal?.append(r);
    if (first) this.#journal?.confirm();
    this.#settle();
  }

  /** Batches that have a seq and are not in flight, oldest first, at most `limit`. */
  takeSendable(limit: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    if (!this.#welcomed) return out;
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

  /** The oldest batch in flight, if any. */
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
    if (i === 0) this.#settle();
    return true;
  }

  /** Drops every numbered batch with seq <= through (the spool lost them: full), counted; returns how many. */
  dropThrough(through: bigint): number {
    let n = 0;
    while (this.#entries.length > 0) {
      const e = this.#entries[0] as OutboxEntry;
      if (e.seq === undefined || e.seq > through) break;
      this.#entries.shift();
      this.#countDrop(e);
      n += 1;
    }
    if (n > 0) this.#settle();
    return n;
  }

  /** Every numbered batch to the journal again (the spool is writable after a failure), oldest first. */
  replay(): void {
    for (const e of [...this.#entries]) if (e.seq !== undefined) this.#journal?.append(recordOf(e));
  }

  /** Over maxBatches: the oldest go, counted. */
  #dropOverflow(): void {
    let dropped = false;
    while (this.#entries.length > this.#max) {
      this.#countDrop(this.#entries.shift() as OutboxEntry);
      dropped = true;
    }
    if (dropped) this.#settle();
  }

  #countDrop(e: OutboxEntry): void {
    this.#stats.droppedBatches += 1n;
    this.#stats.droppedPoints += BigInt(e.count);
  }

  /** Tells the journal the new mark: below the oldest numbered batch, or below the next seq when none is left. */
  #settle(): void {
    const first = this.#entries[0]?.seq;
    const mark = first !== undefined ? first - 1n : this.#nextSeq !== undefined ? this.#nextSeq - 1n : -1n;
    if (mark <= this.#mark) return;
    this.#mark = mark;
    this.#journal?.settled(mark);
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
      bufferedPoints: this.#entries.reduce((n, e) => n + e.count, 0),
      ...this.#stats,
    };
  }
}

function recordOf(e: OutboxEntry): SpoolRecord {
  return { seq: e.seq as bigint, points: e.count, bytes: e.bytes as Buffer };
}
