// Retention over a folded ledger (store/embedded/prune.ts with fold.ts): runs and rows are pruned alike — the same
// answers as a store that never folded when the cut-off falls between runs — each agent's highest row stays, and
// a run partly older than the cut-off waits until its last batch is.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";
import { allDuplicate, checkRecord, MINUTE, modelGaps, record, T0, write } from "./fold-model.ts";

/** Agent a: 1..100 but 30, 31, 70, one a minute; agent b: 1..10, the first minutes. */
const A = Array.from({ length: 100 }, (_, i) => BigInt(i + 1)).filter((s) => s !== 30n && s !== 31n && s !== 70n);
const B = Array.from({ length: 10 }, (_, i) => BigInt(i + 1));
const at = (s: bigint) => T0 + s * MINUTE;

describe("embedded ledger: retention of folded records", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  const open: EmbeddedStore[] = [];
  beforeEach(() => (dir = tempDir("fold-prune")));
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    dir.remove();
  });

  /** The same writes into two files; the first is folded through minute 89 (runs 1..29, 32..69, 71..89). */
  async function twins(): Promise<{ folded: EmbeddedStore; rows: EmbeddedStore; path: string }> {
    const [folded, rows] = [new EmbeddedStore(join(dir.path, "folded.db")), new EmbeddedStore(join(dir.path, "rows.db"))];
    open.push(folded, rows);
    for (const s of [folded, rows]) {
      await s.open();
      await write(s, "a", A, at);
      await write(s, "b", B, at);
    }
    await folded.ledger.fold(at(90n));
    const path = join(dir.path, "folded.db");
    assert.deepEqual(record(path, "a").runs, [[1n, 29n], [32n, 69n], [71n, 89n]]);
    assert.deepEqual(record(path, "b"), { rows: [10n], runs: [[1n, 9n]] });
    return { folded, rows, path };
  }

  it("prunes runs and rows alike: the same answers as without folding when the cut-off falls between runs", async () => {
    const { folded, rows, path } = await twins();
    for (const minute of [29n, 69n, 95n, 200n]) {
      const cutoff = at(minute) + 1n;
      const [f, r] = [await folded.prune(cutoff), await rows.prune(cutoff)];
      assert.equal(f.batches, r.batches, `batches removed, cut-off at minute ${minute}`);
      for (const agent of ["a", "b"]) {
        assert.deepEqual(await folded.gaps(agent), await rows.gaps(agent), `${agent}: gaps after the cut-off at minute ${minute}`);
        assert.equal(await folded.highestSeq(agent), await rows.highestSeq(agent));
        checkRecord(path, agent);
      }
    }
    assert.deepEqual(record(path, "a"), { rows: [100n], runs: [] }, "the highest row stays");
    assert.deepEqual(record(path, "b"), { rows: [10n], runs: [] });
    await allDuplicate(folded, "a", A, "pruned");
    await allDuplicate(folded, "b", B, "pruned");
    assert.deepEqual(await write(folded, "a", [102n], at), ["ok"]);
    assert.deepEqual(await folded.gaps("a"), [{ from: 101n, to: 101n }]);
  });

  it("keeps a run until its last batch is older than the cut-off, and counts a run as the batches it held", async () => {
    const { folded, path } = await twins();
    const r = await folded.prune(at(50n) + 1n);
    assert.equal(r.batches, 29 + 9, "a: the run 1..29; b: the run 1..9 (its highest row stays)");
    assert.deepEqual(record(path, "a").runs, [[32n, 69n], [71n, 89n]]);
    assert.deepEqual(await folded.gaps("a"), modelGaps(new Set(A), 29n), "30..31 stay a gap until 32..69 goes");
    await allDuplicate(folded, "a", [1n, 29n, 32n, 50n, 69n, 71n, 100n], "part pruned");
    assert.deepEqual(await write(folded, "a", [30n, 31n, 70n], at), ["ok", "ok", "ok"], "gap seqs above the watermark are new");
    await folded.ledger.fold(at(100n));
    assert.deepEqual(record(path, "a").runs, [[30n, 89n], [90n, 99n]], "joined while the span allows");
    assert.deepEqual(await folded.gaps("a"), []);
    assert.equal((await folded.prune(at(300n))).batches, 99 - 29);
    assert.deepEqual(record(path, "a"), { rows: [100n], runs: [] });
    await allDuplicate(folded, "a", [30n, 31n, 70n], "all pruned");
  });
});
