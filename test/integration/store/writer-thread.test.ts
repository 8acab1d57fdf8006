// The embedded store with its writes in a thread (store.writer "thread": store/threaded.ts, embedded/write-thread.ts):
// the same answers as the store written inline; duplicates and gaps across the two connections; compaction, folds and
// retention in the thread; a thread that dies fails its writes as retryable and the next write starts it again,
// nothing lost and nothing stored twice; close waits for the writes in flight.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { createStore, type StoreSettings } from "../../../collector/src/store/index.ts";
import { ThreadedStore } from "../../../collector/src/store/threaded.ts";
import { EmbeddedFile } from "../../../collector/src/store/embedded/file.ts";
import { EmbeddedLedger } from "../../../collector/src/store/embedded/ledger.ts";
import { EmbeddedPoints } from "../../../collector/src/store/embedded/points.ts";
import { WriterThread } from "../../../collector/src/store/embedded/write-thread.ts";
import { influxDefaults } from "../../../collector/src/store/influx/config.ts";
import type { SeriesQuery, Store, StoredBatch } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0 } from "../../helpers/host-points.ts";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const END = 2n ** 63n - 1n;
const settings = (path: string, writer: "thread" | "inline"): StoreSettings => ({ kind: "embedded", path, compaction: "worker", writer, influx: influxDefaults() as StoreSettings["influx"] });

function batches(agent: string, from: number, n: number, r: () => number, state: Map<string, bigint>, seq0 = from + 1): StoredBatch[] {
  return Array.from({ length: n }, (_, i) => ({ agentId: agent, seq: BigInt(seq0 + i), receivedNs: T0 + BigInt(from + i) * S, points: hostSecond(agent, from + i, r, state) }));
}

const QUERIES: SeriesQuery[] = [
  { measurement: "cpu", fromNs: 0n, toNs: END },
  { measurement: "netdev", fromNs: T0, toNs: T0 + 900n * S, everyNs: 60n * S },
  { measurement: "tcp", fromNs: T0 + 1n, toNs: END, limit: 100 },
];

async function answers(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) out.push(await store.query(q));
  out.push(await store.gaps("h1"), await store.highestSeq("h1"), await store.latest({}));
  return out;
}

describe("embedded store: writes in a thread (store.writer thread)", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("writer")));
  afterEach(() => dir.remove());

  it("answers as the store written inline: points, duplicates, gaps, compaction and retention", async () => {
    const threaded = createStore(settings(join(dir.path, "t.db"), "thread"));
    const inline = createStore(settings(join(dir.path, "i.db"), "inline"));
    assert.ok(threaded instanceof ThreadedStore && !(inline instanceof ThreadedStore));
    await threaded.open();
    await inline.open();
    try {
      const state = [new Map<string, bigint>(), new Map<string, bigint>()];
      const rs = [rng(5), rng(5)];
      for (const [k, store] of [threaded, inline].entries()) {
        const r = rs[k] as () => number;
        const st = state[k] as Map<string, bigint>;
        const first = batches("h1", 0, 700, r, st);
        // seqs 301..310 missing (a gap), then a resend of 1..5 (duplicates), then the gap filled in part
        const out = await Promise.all([store.writeBatches(first.slice(0, 300)), store.writeBatches(first.slice(310))]);
        assert.ok(out.flat().every((o) => o.kind === "ok"), JSON.stringify(out.flat().find((o) => o.kind !== "ok")));
        assert.deepEqual((await store.writeBatches(first.slice(0, 5))).map((o) => o.kind), Array(5).fill("duplicate"));
        assert.deepEqual(await store.gaps("h1"), [{ from: 301n, to: 310n }]);
        assert.equal((await store.writeBatch(first[302] as StoredBatch)).kind, "ok");
      }
      assert.deepEqual(await answers(threaded), await answers(inline), "before compaction");
      const packed = await Promise.all([threaded.compact(T0 + 2000n * S, END), inline.compact(T0 + 2000n * S, END)]);
      assert.deepEqual([packed[0].points, packed[0].chunks], [packed[1].points, packed[1].chunks]);
      assert.ok(packed[0].points > 0);
      assert.deepEqual(await answers(threaded), await answers(inline), "after compaction (and the ledger's fold)");
      // a resend of a folded seq is still a duplicate, on the thread's connection
      assert.equal((await threaded.writeBatch({ agentId: "h1", seq: 7n, receivedNs: T0, points: [] })).kind, "duplicate");
      const pruned = await Promise.all([threaded.prune(T0 + 400n * S), inline.prune(T0 + 400n * S)]);
      assert.deepEqual(pruned[0], pruned[1]);
      assert.deepEqual(await answers(threaded), await answers(inline), "after retention");
    } finally {
      await threaded.close();
      await inline.close();
    }
  });

  it("a thread that dies fails its writes as retryable; the next write starts it again, nothing lost or stored twice", async () => {
    const path = join(dir.path, "f.db");
    const file = new EmbeddedFile({ path });
    const points = new EmbeddedPoints(file);
    const workerUrl = new URL("./writer-fault-worker.ts", import.meta.url);
    const store = new ThreadedStore(new EmbeddedLedger(file), points, points, new WriterThread({ path, compaction: "inline", gate: file.gate.cell, workerUrl }));
    await store.open();
    try {
      const r = rng(9);
      const st = new Map<string, bigint>();
      const all = batches("h1", 0, 40, r, st);
      const before = await Promise.all([store.writeBatches(all.slice(0, 20)), store.writeBatches([{ agentId: "crash", seq: 1n, receivedNs: T0, points: [] as Sample[] }])]);
      assert.ok(before[0].every((o) => o.kind === "ok" || o.kind === "retryable"), JSON.stringify(before[0]));
      assert.equal(before[1][0]?.kind, "retryable");
      assert.match((before[1][0] as { reason: string }).reason, /the writer thread exited \(code 3\)/);
      // the agent resends everything not acked; the thread starts again
      const again = await store.writeBatches(all);
      // a batch committed before the thread died but not answered comes back a duplicate: an ack all the same
      for (const [i, o] of again.entries()) assert.ok(o.kind === "ok" || o.kind === "duplicate", `seq ${i + 1}: ${o.kind}`);
      assert.deepEqual(await store.gaps("h1"), []);
      assert.equal(await store.highestSeq("h1"), 40n);
      const cpu = await store.query({ measurement: "cpu", fromNs: 0n, toNs: END, tags: { cpu: "cpu0" } });
      assert.equal(cpu[0]?.values.length, 40, "each second's point once");
    } finally {
      await store.close();
    }
  });

  it("close waits for the writes in flight; the file has every acked batch", async () => {
    const path = join(dir.path, "c.db");
    const store = createStore(settings(path, "thread"));
    await store.open();
    const r = rng(3);
    const st = new Map<string, bigint>();
    const writes = Array.from({ length: 20 }, (_, k) => store.writeBatches(batches("h1", k * 10, 10, r, st)));
    const closed = store.close();
    const outcomes = (await Promise.all(writes)).flat();
    await closed;
    await assert.rejects(store.compact(END, END), /the writer thread is closed/, "no thread is started again after close");
    const acked = outcomes.filter((o) => o.kind === "ok").length;
    assert.ok(acked > 0, "some writes were in flight when close began");
    const reopened = createStore(settings(path, "inline"));
    await reopened.open();
    try {
      const cpu = await reopened.query({ measurement: "cpu", fromNs: 0n, toNs: END, tags: { cpu: "cpu0" } });
      assert.equal(cpu[0]?.values.length ?? 0, acked, "every acked batch is in the file, and nothing else");
    } finally {
      await reopened.close();
    }
  });
});
