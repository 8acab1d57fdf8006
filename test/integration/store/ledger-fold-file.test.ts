// The folded ledger in its file: a layout-4 file (no batch_runs) opens, is upgraded to layout 5 and keeps its
// answers before and after its rows are folded; a writer that folds as it goes, killed with SIGKILL, leaves every
// acknowledged seq recorded once (duplicate on resend) and no seq missing but those it never sent.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { LAYOUT_VERSION } from "../../../collector/src/store/embedded/schema.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";
import { allDuplicate, checkRecord, modelGaps, record, S, T0, write } from "./fold-model.ts";
import { killAfterAcks } from "./kill9.ts";

const FOLDER = fileURLToPath(new URL("./kill9-folder.ts", import.meta.url));

function layout(path: string): { version: number; runs: boolean } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const version = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
    return { version, runs: db.prepare("SELECT name FROM sqlite_master WHERE name = 'batch_runs'").get() !== undefined };
  } finally {
    db.close();
  }
}

describe("embedded ledger: folded records in the file", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("fold-file")));
  afterEach(() => dir.remove());

  it("upgrades a layout-4 file on open; its rows keep their answers, then fold", async () => {
    const path = join(dir.path, "s.db");
    const seqs = [1n, 2n, 3n, 5n, 6n, 9n, 10n, 11n, 12n, 20n];
    let store = new EmbeddedStore(path);
    await store.open();
    await write(store, "a", seqs, (s) => T0 + s * S);
    await store.close();
    const db = new DatabaseSync(path);
    db.exec("DROP TABLE batch_runs; PRAGMA user_version = 4;");
    db.close();
    assert.deepEqual(layout(path), { version: 4, runs: false });
    store = new EmbeddedStore(path);
    await store.open();
    try {
      assert.deepEqual(layout(path), { version: LAYOUT_VERSION, runs: true });
      assert.ok(LAYOUT_VERSION >= 5);
      const want = modelGaps(new Set(seqs));
      assert.deepEqual(await store.gaps("a"), want);
      assert.equal(await store.highestSeq("a"), 20n);
      await allDuplicate(store, "a", seqs, "upgraded");
      await store.compact(T0 + 3_600n * S, 0n);
      assert.deepEqual(record(path, "a"), { rows: [20n], runs: [[1n, 3n], [5n, 6n], [9n, 12n]] });
      assert.deepEqual(await store.gaps("a"), want);
      assert.equal(await store.highestSeq("a"), 20n);
      await allDuplicate(store, "a", seqs, "upgraded and folded");
      assert.deepEqual(await write(store, "a", [4n, 21n], () => T0), ["ok", "ok"]);
    } finally {
      await store.close();
    }
  });

  it("keeps every acknowledged seq once and invents no gap when a folding writer is killed with SIGKILL", async () => {
    const path = join(dir.path, "k.db");
    const acked = await killAfterAcks(FOLDER, path, 600n);
    const store = new EmbeddedStore(path);
    await store.open();
    try {
      const highest = await store.highestSeq("k9f");
      assert.ok(highest >= acked, `highest ${highest} < last acked ${acked}`);
      const sent = new Set(Array.from({ length: Number(highest) }, (_, i) => BigInt(i + 1)).filter((s) => s % 7n !== 0n));
      assert.ok(record(path, "k9f").runs.length > 0, "the writer folded");
      checkRecord(path, "k9f");
      assert.deepEqual(await store.gaps("k9f"), modelGaps(sent));
      await allDuplicate(store, "k9f", [...sent], "after kill -9");
      await store.ledger.fold(highest);
      checkRecord(path, "k9f");
      assert.deepEqual(await store.gaps("k9f"), modelGaps(sent), "folded after the restart");
    } finally {
      await store.close();
    }
  });
});
