import assert from "node:assert/strict";
import fc from "fast-check";
import type { Sample } from "@eastwest/common";
import { Outbox, type OutboxEntry } from "../../../agent/src/runtime/outbox.ts";

function points(n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ measurement: "m", tags: {}, fields: { v: BigInt(i) }, timeNs: 1n }));
}

type Op =
  | { t: "add"; n: number }
  | { t: "base"; highest: bigint }
  | { t: "take"; limit: number }
  | { t: "ack"; pick: number }
  | { t: "ackUnknown" }
  | { t: "requeue" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("add" as const), n: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ t: fc.constant("base" as const), highest: fc.bigInt({ min: 0n, max: 60n }) }),
  fc.record({ t: fc.constant("take" as const), limit: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ t: fc.constant("ack" as const), pick: fc.nat() }),
  fc.constant({ t: "ackUnknown" as const }),
  fc.constant({ t: "requeue" as const }),
);

/** Drives an Outbox with `ops` and checks the seq and conservation invariants after every step. */
class Harness {
  readonly box: Outbox;
  /** Batch index by its createdNs (the harness gives each batch its index as createdNs). */
  readonly addIndex = new Map<bigint, number>();
  /** Lower bound (exclusive) each batch's seq must exceed: the highest base in effect when it was numbered. */
  readonly bound = new Map<number, bigint>();
  readonly seqOf = new Map<number, bigint>();
  readonly inFlight: OutboxEntry[] = [];
  bases: bigint[] = [];
  added = { batches: 0n, points: 0n };
  acked = { batches: 0n, points: 0n };

  constructor(max: number) {
    this.box = new Outbox(max);
  }

  apply(o: Op): void {
    if (o.t === "add") this.add(o.n);
    else if (o.t === "base") this.base(o.highest);
    else if (o.t === "take") for (const e of this.box.takeSendable(o.limit)) this.observe(e, true);
    else if (o.t === "ack") this.ack(o.pick);
    else if (o.t === "ackUnknown") assert.equal(this.box.ack(10_000n + BigInt(this.addIndex.size)), false);
    else {
      this.box.requeueInFlight();
      this.inFlight.length = 0;
    }
    this.check();
  }

  add(n: number): void {
    const p = points(n);
    const before = this.box.stats().droppedBatches;
    const idx = this.addIndex.size;
    this.box.add(p, BigInt(idx));
    if (n === 0) return;
    this.addIndex.set(BigInt(idx), idx);
    this.added.batches += 1n;
    this.added.points += BigInt(n);
    if (this.bases.length > 0) this.bound.set(idx, this.bases.reduce((a, b) => (a > b ? a : b)));
    assert.ok(this.box.stats().droppedBatches >= before);
  }

  base(highest: bigint): void {
    if (this.bases.length === 0) for (const idx of this.addIndex.values()) this.bound.set(idx, highest);
    this.bases.push(highest);
    this.box.setBase(highest);
  }

  ack(pick: number): void {
    const e = this.inFlight.splice(pick % Math.max(1, this.inFlight.length), 1)[0];
    if (e === undefined || e.seq === undefined) return;
    if (this.box.ack(e.seq)) {
      this.acked.batches += 1n;
      this.acked.points += BigInt(e.count);
    }
  }

  observe(e: OutboxEntry, taken: boolean): void {
    const idx = this.addIndex.get(e.createdNs);
    assert.ok(idx !== undefined, "an entry the harness added");
    assert.ok(e.seq !== undefined, "sendable entries have a seq");
    const seen = this.seqOf.get(idx);
    if (seen !== undefined) assert.equal(e.seq, seen, "a batch keeps its seq");
    this.seqOf.set(idx, e.seq);
    const bound = this.bound.get(idx);
    assert.ok(bound !== undefined && e.seq > bound, `seq ${e.seq} above base ${bound}`);
    if (taken) this.inFlight.push(e);
  }

  check(): void {
    const bySeq = [...this.seqOf.entries()].sort(([a], [b]) => a - b);
    for (let i = 1; i < bySeq.length; i++) {
      const prev = bySeq[i - 1] as [number, bigint];
      const cur = bySeq[i] as [number, bigint];
      assert.ok(cur[1] > prev[1], `batch ${cur[0]} seq ${cur[1]} > batch ${prev[0]} seq ${prev[1]}: strictly increasing, never reused`);
    }
    const st = this.box.stats();
    assert.equal(BigInt(st.bufferedBatches) + st.droppedBatches + this.acked.batches, this.added.batches, "batches conserved");
    assert.equal(BigInt(st.bufferedPoints) + st.droppedPoints + this.acked.points, this.added.points, "points conserved");
    assert.equal(st.ackedBatches, this.acked.batches);
  }
}

describe("Outbox", () => {
  it("properties: seqs strictly increasing, never reused across setBase; batches and points conserved", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), fc.bigInt({ min: 0n, max: 60n }), (max, ops, finalBase) => {
        const h = new Harness(max);
        for (const o of ops) h.apply(o);
        h.apply({ t: "base", highest: finalBase });
        h.box.requeueInFlight();
        for (const e of h.box.takeSendable(1000)) h.observe(e, false);
        h.check();
      }),
      { numRuns: 300 },
    );
  });

  it("numbers unnumbered batches in order on setBase, then continues above the base", () => {
    const box = new Outbox(10);
    const a = points(1);
    const b = points(2);
    box.add(a, 1n);
    box.add(b, 2n);
    assert.equal(box.nextSeq, undefined);
    assert.deepEqual(box.takeSendable(10), [], "nothing is sendable before the collector's base");
    box.setBase(41n);
    box.add(points(1), 3n);
    assert.deepEqual(box.takeSendable(10).map((e) => [e.seq, e.count]), [[42n, 1], [43n, 2], [44n, 1]]);
    box.setBase(7n);
    box.add(points(1), 4n);
    assert.deepEqual(box.takeSendable(10).map((e) => e.seq), [45n], "a lower base never makes a seq reused");
  });

  it("drops the oldest batch on overflow and counts its points", () => {
    const box = new Outbox(2);
    box.add(points(1), 1n);
    box.add(points(2), 2n);
    box.add(points(3), 3n);
    box.add([], 4n);
    const st = box.stats();
    assert.deepEqual([st.bufferedBatches, st.bufferedPoints, st.droppedBatches, st.droppedPoints], [2, 5, 1n, 1n]);
    box.setBase(0n);
    assert.deepEqual(box.takeSendable(10).map((e) => e.count), [2, 3]);
  });

  it("ignores an ack of an unknown seq", () => {
    const box = new Outbox(4);
    box.setBase(0n);
    box.add(points(1), 1n);
    const before = box.stats();
    assert.equal(box.ack(99n), false);
    assert.deepEqual(box.stats(), before);
    const [e] = box.takeSendable(1);
    assert.equal(box.ack(e?.seq ?? -1n, true), true);
    assert.equal(box.ack(e?.seq ?? -1n), false, "a second ack of the same seq is unknown");
    assert.deepEqual([box.stats().ackedBatches, box.stats().rejectedBatches, box.size()], [1n, 1n, 0]);
  });

  it("requeue makes in-flight batches sendable again and counts resends", () => {
    const box = new Outbox(4);
    box.setBase(0n);
    box.add(points(1), 1n);
    box.add(points(1), 2n);
    box.add(points(1), 3n);
    const first = box.takeSendable(2);
    assert.deepEqual([box.inFlightCount(), box.takeSendable(2).length], [2, 1], "in-flight batches are not taken twice");
    assert.equal(box.oldestInFlight(), first[0]);
    box.requeueInFlight();
    assert.equal(box.inFlightCount(), 0);
    const again = box.takeSendable(10);
    assert.deepEqual(again.map((e) => e.seq), [1n, 2n, 3n]);
    assert.deepEqual(again.map((e) => e.sends), [2, 2, 2]);
    assert.equal(box.stats().resentBatches, 3n);
  });
});
