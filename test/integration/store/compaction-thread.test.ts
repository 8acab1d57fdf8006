// The compaction thread (store.compaction "worker", store/embedded/compact-thread.ts): packing in a worker thread
// with its own connection gives the same chunks as inline; queries on the ingest thread while it packs read one
// snapshot each (no point twice or missing); ingest goes on meanwhile; close() stops it between slices; a thread
// that cannot open its file fails that compaction with a StoreError; after close() a compaction starts a new thread.
import assert from "node:assert/strict";
import { readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { CompactionWorker } from "../../../collector/src/store/embedded/compact-thread.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { StoreError, type SeriesQuery } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0 } from "../../helpers/host-points.ts";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const NO_FLOOR = 2n ** 63n - 1n;
const HOSTS = ["h1", "h2", "h3", "h4"];
const rows = (series: ReadonlyArray<{ values: unknown[] }>) => series.reduce((n, s) => n + s.values.length, 0);

async function fill(store: EmbeddedStore, seconds: number, from = 0): Promise<void> {
  const r = rng(9 + from);
  const state = new Map<string, bigint>();
  for (let s0 = from; s0 < from + seconds; s0 += 100) {
    const batches = Array.from({ length: 100 }, (_, i) => ({ agentId: "a", seq: BigInt(s0 + i + 1), receivedNs: T0, points: HOSTS.flatMap((h) => hostSecond(h, s0 + i, r, state)) }));
    for (const out of await store.writeBatches(batches)) assert.equal(out.kind, "ok");
  }
}

const QUERIES: SeriesQuery[] = [
  { measurement: "cpu", fromNs: 0n, toNs: T0 + 1000n * S, fields: ["user_pct"] },
  { measurement: "netdev", fromNs: T0 + 250n * S, toNs: T0 + 650n * S, everyNs: 60n * S, aggregate: "max" },
];

describe("embedded store: the compaction thread", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  const open: EmbeddedStore[] = [];
  const store = async (name: string, compaction: "worker" | "inline") => {
    const s = new EmbeddedStore({ path: join(dir.path, name), compaction });
    await s.open();
    open.push(s);
    return s;
  };

  beforeEach(() => (dir = tempDir("compact-thread")));
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    dir.remove();
  });

  it("packs what inline packs; every query while it packs answers as before; ingest goes on", async () => {
    const [inline, worker] = [await store("inline.db", "inline"), await store("worker.db", "worker")];
    await fill(inline, 900);
    await fill(worker, 900);
    // why: the newest row of the file stays in the head (compact.ts); a later one in both leaves the windows whole
    for (const s of [inline, worker]) await s.writeBatches([{ agentId: "b", seq: 1n, receivedNs: T0, points: hostSecond("late", 5000, rng(1), new Map()) }]);
    const before = await Promise.all(QUERIES.map((q) => worker.query(q)));
    const cutoff = T0 + 900n * S;
    const packing = worker.compact(cutoff, NO_FLOOR);
    let settled = false;
    void packing.finally(() => (settled = true));
    let during = 0;
    let seq = 10_000;
    while (!settled) {
      // why: isDeepStrictEqual, not assert.deepEqual: the diff of two large answers takes minutes to print
      for (const [i, q] of QUERIES.entries()) {
        const got = await worker.query(q);
        assert.ok(isDeepStrictEqual(got, before[i]), `query ${i} while packing: ${rows(got)} rows in ${got.length} series, before ${rows(before[i] ?? [])}`);
      }
      // a batch for a later time, as ingest would write meanwhile (it may have to wait for a slice's commit)
      const out = await worker.writeBatches([{ agentId: "b", seq: BigInt(++seq), receivedNs: T0, points: hostSecond("late", seq, rng(seq), new Map()) }]);
      assert.ok(out[0]?.kind === "ok" || out[0]?.kind === "retryable", JSON.stringify(out[0]?.kind));
      during++;
      await new Promise((r) => setImmediate(r));
    }
    const [a, b] = [await inline.compact(cutoff, NO_FLOOR), await packing];
    assert.deepEqual([b.points, b.chunks], [a.points, a.chunks], "the same points and chunks");
    for (const r of [a, b]) assert.ok(r.commitMaxMs !== undefined && r.commitMaxMs >= 0, `the longest commit is reported: ${r.commitMaxMs}`);
    assert.ok(a.points > 0 && during >= 2, `${a.points} points packed, ${during} rounds of queries and writes while packing`);
    assert.deepEqual(await Promise.all(QUERIES.map((q) => worker.query(q))), before);
    assert.deepEqual(await Promise.all(QUERIES.map((q) => inline.query(q))), before);
  });

  it("starts no thread while nothing complete is there to pack (it would cost tens of MiB for nothing)", async () => {
    const s = await store("idle.db", "worker");
    await fill(s, 200);
    const fds = () => readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(dir.path, "idle.db"));
      } catch {
        return false;
      }
    }).length;
    const before = fds();
    assert.deepEqual(await s.compact(T0 + 250n * S, NO_FLOOR), { points: 0, chunks: 0 }, "no window ends before the cut-off");
    assert.equal(fds(), before, "no second connection to the file: no thread");
    await fill(s, 200, 200);
    assert.ok((await s.compact(T0 + 400n * S, NO_FLOOR)).points > 0);
    assert.ok(fds() > before, "the thread's own connection");
  });

  it("close() while packing stops the thread between slices; what it packed stays packed, the rest the next pass packs", async () => {
    const s = await store("close.db", "worker");
    await fill(s, 1200);
    const before = await Promise.all(QUERIES.map((q) => s.query(q)));
    const packing = s.compact(T0 + 1200n * S, NO_FLOOR);
    await new Promise((r) => setTimeout(r, 20));
    await s.close();
    open.pop();
    const partial = await packing.catch((err: unknown) => err);
    assert.ok(!(partial instanceof Error) || partial instanceof StoreError, String(partial));
    const again = await store("close.db", "worker");
    await again.compact(T0 + 1200n * S, NO_FLOOR);
    assert.equal(await again.compact(T0 + 1200n * S, NO_FLOOR).then((r) => r.points), 0, "nothing left after the next pass");
    assert.deepEqual(await Promise.all(QUERIES.map((q) => again.query(q))), before);
  });

  it("a thread that cannot open its file fails that compaction with a StoreError; after close() the next compaction starts a new thread", async () => {
    const notADir = join(dir.path, "plain-file");
    writeFileSync(notADir, "x");
    const bad = new CompactionWorker(join(notADir, "store.db"));
    await assert.rejects(bad.compact(T0, NO_FLOOR), (err: unknown) => err instanceof StoreError && /store\.db|directory|ENOTDIR/i.test(err.message));
    await bad.close();
    const s = await store("again.db", "inline");
    await fill(s, 400);
    const w = new CompactionWorker(join(dir.path, "again.db"));
    try {
      const first = await w.compact(T0 + 300n * S, NO_FLOOR);
      await w.close();
      const second = await w.compact(T0 + 400n * S, NO_FLOOR);
      assert.ok(first.points > 0 && second.points === 0, `${first.points} then ${second.points}: the second pass has nothing complete left`);
    } finally {
      await w.close();
    }
  });
});
