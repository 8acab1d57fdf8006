// The embedded ledger's fold (store/embedded/fold.ts): batch rows received before a cut-off become runs of
// consecutive seqs, and nothing the ledger answers changes — duplicates (inside a run, at its edges, the highest
// row, after reopen), gaps (random seq sets, gap fills folded again), highestSeq — also when a fold is cut short
// and when the compaction pass runs it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedFile } from "../../../collector/src/store/embedded/file.ts";
import { FOLD_CHUNK, RUN_SPAN_NS } from "../../../collector/src/store/embedded/fold.ts";
import { EmbeddedLedger } from "../../../collector/src/store/embedded/ledger.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { PointStore } from "../../../collector/src/store/point-store.ts";
import { FOLD_AGE_NS, Storage } from "../../../collector/src/store/storage.ts";
import { seeded } from "../../fuzz/mutate.ts";
import { tempDir } from "../../helpers/procs.ts";
import { allDuplicate, checkRecord, MINUTE, modelGaps, record, S, T0, write } from "./fold-model.ts";

const range = (from: bigint, to: bigint): bigint[] => Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));
const FAR = 2n ** 62n;

describe("embedded ledger: fold", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let store: EmbeddedStore;
  beforeEach(async () => {
    dir = tempDir("fold");
    path = join(dir.path, "s.db");
    store = new EmbeddedStore(path);
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("answers duplicate inside a run, at its edges and for the highest row, also after reopen; a gap seq is new", async () => {
    const seqs = [...range(1n, 10n), ...range(12n, 20n), 25n];
    assert.deepEqual(new Set(await write(store, "a", seqs, (s) => T0 + s * S)), new Set(["ok"]));
    assert.equal(await store.ledger.fold(FAR), 19, "every row but the highest");
    assert.deepEqual(record(path, "a"), { rows: [25n], runs: [[1n, 10n], [12n, 20n]] });
    for (const when of ["folded", "reopened"]) {
      if (when === "reopened") await reopen();
      await allDuplicate(store, "a", [1n, 5n, 10n, 12n, 20n, 25n], when);
      assert.equal(await store.highestSeq("a"), 25n);
      assert.deepEqual(await store.gaps("a"), [{ from: 11n, to: 11n }, { from: 21n, to: 24n }]);
    }
    assert.deepEqual(await write(store, "a", [11n, 22n, 26n], () => T0 + 100n * S), ["ok", "ok", "ok"]);
    await store.ledger.fold(FAR);
    assert.deepEqual(record(path, "a"), { rows: [26n], runs: [[1n, 20n], [22n, 22n], [25n, 25n]] }, "11 joined both runs");
    assert.deepEqual(await store.gaps("a"), [{ from: 21n, to: 21n }, { from: 23n, to: 24n }]);
    await allDuplicate(store, "a", range(1n, 20n), "after the gap fill");
  });

  it("gives the same gaps, highest seq and duplicates as before folding, on random seq sets (seeded)", async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = seeded(seed);
      const agent = `p${seed}`;
      const stored = new Set<bigint>();
      const step = BigInt(1 + Math.floor(r() * 120)) * S; // some seeds make runs longer than RUN_SPAN_NS
      const at = (s: bigint) => T0 + s * step;
      for (let round = 0; round < 4; round++) {
        const top = 40 + Math.floor(r() * 400);
        const seqs = range(1n, BigInt(top)).filter(() => r() < 0.6);
        for (let i = seqs.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [seqs[i], seqs[j]] = [seqs[j] as bigint, seqs[i] as bigint];
        }
        const kinds = await write(store, agent, seqs, at);
        seqs.forEach((s, i) => assert.equal(kinds[i], stored.has(s) ? "duplicate" : "ok", `seed ${seed}: seq ${s}`));
        for (const s of seqs) stored.add(s);
        const want = modelGaps(stored);
        assert.deepEqual(await store.gaps(agent), want, `seed ${seed} round ${round}: before folding`);
        await store.ledger.fold(at(BigInt(Math.floor(r() * top))));
        checkRecord(path, agent);
        assert.deepEqual(await store.gaps(agent), want, `seed ${seed} round ${round}: after folding`);
        assert.equal(await store.highestSeq(agent), [...stored].reduce((m, s) => (s > m ? s : m), 0n));
      }
      await store.ledger.fold(FAR);
      checkRecord(path, agent);
      assert.deepEqual(await store.gaps(agent), modelGaps(stored), `seed ${seed}: all folded`);
      await allDuplicate(store, agent, [...stored], `seed ${seed}`);
    }
  });

  it("bounds a run to RUN_SPAN_NS of receive times; runs that touch leave no gap", async () => {
    const minutes = Number(2n * (RUN_SPAN_NS / MINUTE)) + 30;
    await write(store, "a", range(1n, BigInt(minutes)), (s) => T0 + s * MINUTE);
    await store.ledger.fold(FAR);
    const { runs } = record(path, "a");
    assert.equal(runs.length, 3);
    runs.forEach(([from, to], i) => {
      assert.ok((to - from) * MINUTE <= RUN_SPAN_NS);
      if (i > 0) assert.equal(from, (runs[i - 1] as [bigint, bigint])[1] + 1n);
    });
    assert.deepEqual(await store.gaps("a"), []);
  });

  it("leaves a consistent record when cut short or closed between steps, and the next fold finishes", async () => {
    const n = 2 * FOLD_CHUNK + 500;
    const seqs = range(1n, BigInt(n)).filter((s) => s % 97n !== 0n);
    for (let i = 0; i < seqs.length; i += 2_000) await write(store, "a", seqs.slice(i, i + 2_000), (s) => T0 + s * S);
    await write(store, "b", range(1n, 50n), (s) => T0 + s * S);
    const want = modelGaps(new Set(seqs));
    const abort = new AbortController();
    const folding = store.ledger.fold(FAR, abort.signal);
    abort.abort();
    assert.equal(await folding, FOLD_CHUNK, "one step, then the abort");
    checkRecord(path, "a");
    assert.deepEqual(await store.gaps("a"), want);
    await allDuplicate(store, "a", [1n, BigInt(FOLD_CHUNK), seqs.at(-1) as bigint], "part folded");
    const closing = store.ledger.fold(FAR);
    await store.close();
    await assert.rejects(closing, /not open/);
    store = await reopen();
    checkRecord(path, "a");
    assert.deepEqual(await store.gaps("a"), want, "after a close between steps");
    assert.equal(await store.ledger.fold(FAR), seqs.length - 1 + 49 - 2 * FOLD_CHUNK, "what the two cut-short folds left");
    assert.deepEqual(record(path, "a").rows, [seqs.at(-1)]);
    assert.deepEqual(await store.gaps("a"), want, "all folded");
    await allDuplicate(store, "a", seqs, "all folded");
    assert.deepEqual(await store.gaps("b"), []);
  });

  it("runs from the compaction pass on records older than its cut-off by FOLD_AGE_NS, whatever the point store", async () => {
    await write(store, "a", range(1n, 30n), (s) => T0 + s * MINUTE);
    await store.compact(T0 + FOLD_AGE_NS + 20n * MINUTE + 1n, 2n ** 63n - 1n);
    assert.deepEqual(record(path, "a"), { rows: range(21n, 30n), runs: [[1n, 20n]] });
    await store.close();
    // a point store without compact() (as a remote one may be) pairs with the same ledger
    const file = new EmbeddedFile(path);
    const none: PointStore<null> = {
      open: async () => undefined,
      prepare: async (bs) => bs.map(() => ({ kind: "staged", stored: 0, data: null })),
      stage: () => undefined,
      settle: () => undefined,
      query: async () => [],
      latest: async () => [],
      prune: async () => ({ points: 0, latest: 0 }),
      close: async () => undefined,
    };
    const remote = new Storage(new EmbeddedLedger(file), none);
    await remote.open();
    try {
      await remote.compact(T0 + FOLD_AGE_NS + 25n * MINUTE + 1n, 0n);
      assert.deepEqual(record(path, "a"), { rows: range(26n, 30n), runs: [[1n, 25n]] });
      assert.deepEqual((await remote.writeBatches([{ agentId: "a", seq: 3n, receivedNs: T0, points: [] }])).map((o) => o.kind), ["duplicate"]);
    } finally {
      await remote.close();
    }
    store = await reopen();
  });

  async function reopen(): Promise<EmbeddedStore> {
    await store.close();
    store = new EmbeddedStore(path);
    await store.open();
    return store;
  }
});
