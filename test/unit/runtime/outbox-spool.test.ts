// The outbox over a real spool: seqs kept across a restart, never reused, renumbered only when a collector
// already holds them; and the seq rewrite of an encoded batch against the encoder.
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { silentLogger, type Sample } from "@eastwest/common";
import { batchFrame, BatchEncoder, decodeBatch, withSeq } from "@eastwest/proto/wire";
import { Outbox } from "../../../agent/src/runtime/outbox.ts";
import { Spool } from "../../../agent/src/runtime/spool.ts";
import { tempDir } from "../../helpers/procs.ts";

const point = (i: number): Sample => ({ measurement: "m", tags: { agent_id: "a1" }, fields: { n: BigInt(i) }, timeNs: 1_800_000_000_000_000_000n + BigInt(i) });
const LIMITS = { maxTagValueLength: 1024, maxStringFieldLength: 1024 };

/** One agent process: a spool on `dir` and an outbox restored from it, wired as agent.ts wires them. */
function processOn(dir: string, o: { maxBatches?: number; maxBytes?: number; segmentBytes?: number } = {}) {
  let spool: Spool | undefined;
  const outbox = new Outbox(o.maxBatches ?? 100, {
    agentId: "a1",
    journal: { append: (r) => void spool?.append(r), settled: (m) => spool?.settle(m), confirm: () => spool?.confirm() },
  });
  const opened = Spool.open({
    dir, maxBytes: o.maxBytes ?? 1 << 20, segmentBytes: o.segmentBytes ?? 1 << 16, fsync: "always", fsyncIntervalMs: 1000, retryMs: 60_000, logger: silentLogger(),
    onDropped: (through) => outbox.dropThrough(through), onWritable: () => outbox.replay(),
  });
  spool = opened.spool;
  outbox.restore(opened.contents.records, opened.contents.highest, opened.contents.confirmed);
  return { outbox, spool, contents: opened.contents };
}

const seqsOf = (box: Outbox) => box.takeSendable(1000).map((e) => e.seq);
/** The n field of every point of the sent batches, decoded from the bytes the transport would send. */
const sentValues = (box: Outbox) => box.takeSendable(1000).flatMap((e) => decodeBatch(e.bytes as Buffer, LIMITS).points.map((p) => [decodeBatch(e.bytes as Buffer, LIMITS).seq, p.fields["n"]]));

describe("outbox over the spool", () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  const spools: Spool[] = [];
  const proc = (o?: Parameters<typeof processOn>[1]) => {
    const p = processOn(dir, o);
    spools.push(p.spool);
    return p;
  };
  beforeEach(() => {
    tmp = tempDir("outbox-spool");
    dir = join(tmp.path, "a1");
  });
  afterEach(() => {
    for (const s of spools.splice(0)) s.close();
    tmp.remove();
  });

  it("property: withSeq gives the bytes the encoder writes with that seq, batchFrame the frame it writes", () => {
    const seq = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }));
    fc.assert(
      fc.property(fc.constantFrom("", "a1", "x".repeat(200)), seq, seq, fc.integer({ min: 0, max: 3 }), (id, a, b, n) => {
        const points = Array.from({ length: n }, (_, i) => point(i));
        const enc = new BatchEncoder();
        assert.deepEqual(withSeq(enc.encodeBatch(id, a, points, 7n), b), enc.encodeBatch(id, b, points, 7n));
        assert.deepEqual(batchFrame(enc.encodeBatch(id, a, points, 7n)), enc.encode(id, a, points, 7n), "the gRPC frame around it");
      }),
      { numRuns: 300 },
    );
  });

  it("a restart resends what was never acked under its original seqs and numbers above everything before", () => {
    const first = proc();
    for (let i = 1; i <= 5; i++) first.outbox.add([point(i)], 1n);
    first.outbox.setBase(0n);
    const sent = first.outbox.takeSendable(10);
    assert.deepEqual(sent.map((e) => e.seq), [1n, 2n, 3n, 4n, 5n], "numbered from 1 when made, before the Welcome");
    first.outbox.ack(1n);
    first.outbox.ack(3n);
    first.spool.close(); // a SIGKILL writes nothing more; with fsync always, close adds nothing but the mark
    const second = proc();
    assert.equal(second.contents.confirmed, true);
    second.outbox.add([point(6)], 1n);
    second.outbox.setBase(3n);
    // 3 was acked above the mark (2 was not): resent, and the collector answers it as a duplicate.
    assert.deepEqual(sentValues(second.outbox), [[2n, 2n], [3n, 3n], [4n, 4n], [5n, 5n], [6n, 6n]], "as they were; the new batch above");
  });

  it("a collector that holds seqs the spool does not know: provisional batches are renumbered above them, once", () => {
    const first = proc();
    for (let i = 1; i <= 3; i++) first.outbox.add([point(i)], 1n);
    first.spool.close(); // stopped (or killed) before any Welcome: the spool's numbering is unconfirmed
    const second = proc();
    assert.deepEqual([second.contents.records.length, second.contents.confirmed], [3, false]);
    second.outbox.add([point(4)], 1n);
    second.outbox.setBase(50n);
    assert.deepEqual(sentValues(second.outbox), [[51n, 1n], [52n, 2n], [53n, 3n], [54n, 4n]], "every provisional batch above the collector's 50, in order");
    second.spool.close();
    const third = proc();
    assert.deepEqual(third.contents.records.map((r) => r.seq), [51n, 52n, 53n, 54n], "the old seqs are superseded, not resent");
    third.outbox.setBase(52n);
    assert.deepEqual(seqsOf(third.outbox), [51n, 52n, 53n, 54n], "confirmed: seqs the collector holds are resent as they are (it dedups)");
  });

  it("spool full drops the oldest batches from the outbox too, counted as a gap", () => {
    // each record: 28 bytes of header and a batch of ~40 bytes; segments of 2, at most 3 segments
    const p = proc({ segmentBytes: 150, maxBytes: 450 });
    p.outbox.setBase(0n);
    for (let i = 1; i <= 10; i++) p.outbox.add([point(i)], 1n);
    const st = p.outbox.stats();
    assert.ok(st.droppedBatches >= 4n, `dropped ${st.droppedBatches}`);
    assert.equal(p.spool.stats().droppedBatches, st.droppedBatches);
    const left = seqsOf(p.outbox);
    assert.equal(BigInt(left.length) + st.droppedBatches, 10n);
    assert.deepEqual(left, Array.from({ length: left.length }, (_, i) => BigInt(10 - left.length + i + 1)), "the newest are kept");
  });
});
