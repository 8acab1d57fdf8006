// Layout 6: the rollups' field sets are written by their fields (codec.ts encodeNameList). A layout-5 file, whose
// rollup field sets are spelled out, is rewritten on open: the same ids, the same answers (minute buckets read the
// rollups), smaller, and compaction after the upgrade finds the rewritten field sets instead of adding new ones.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { decodeNames } from "../../../collector/src/store/codec.ts";
import { LAYOUT_VERSION } from "../../../collector/src/store/embedded/schema.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { SeriesQuery } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0 } from "../../helpers/host-points.ts";
import { tempDir } from "../../helpers/procs.ts";
import { sameAnswer } from "../../helpers/same.ts";

const S = 1_000_000_000n;
const END = 2n ** 63n - 1n;

const QUERIES: SeriesQuery[] = [
  { measurement: "cpu", fromNs: 0n, toNs: END },
  { measurement: "netdev", fromNs: T0, toNs: T0 + 1200n * S, everyNs: 60n * S },
  { measurement: "cpu", fromNs: T0, toNs: T0 + 1200n * S, everyNs: 120n * S, aggregate: "max", tags: { cpu: "cpu1" } },
  { measurement: "tcp", fromNs: T0, toNs: T0 + 1200n * S, everyNs: 300n * S, aggregate: "last" },
];

type Row = { id: number; names: string };
const rollupSets = (path: string): Row[] => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT id, names FROM fieldsets WHERE id IN (SELECT fieldset_id FROM rollups) ORDER BY id").all() as Row[];
  } finally {
    db.close();
  }
};

describe("embedded store: rollup field sets by their fields (layout 6)", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("rollup-names")));
  afterEach(() => dir.remove());

  async function write(store: EmbeddedStore, from: number, to: number, r: () => number, state: Map<string, bigint>): Promise<void> {
    const batches = [];
    for (let s = from; s < to; s++) batches.push({ agentId: "h1", seq: BigInt(s + 1), receivedNs: T0, points: hostSecond("h1", s, r, state) });
    for (const o of await store.writeBatches(batches)) assert.equal(o.kind, "ok");
  }

  it("upgrades a layout-5 file in place: the same ids and answers, fewer bytes, and compaction reuses them", async () => {
    const path = join(dir.path, "s.db");
    const r = rng(11);
    const state = new Map<string, bigint>();
    let store = new EmbeddedStore(path);
    await store.open();
    await write(store, 0, 700, r, state);
    await store.compact(T0 + 700n * S, END);
    const compact = rollupSets(path);
    assert.ok(compact.length >= 3 && compact.every((x) => x.names.startsWith('{"rollup":')), JSON.stringify(compact.map((x) => x.names.slice(0, 30))));
    const before: unknown[] = [];
    for (const q of QUERIES) before.push(await store.query(q));
    await store.close();

    // as layout 5 wrote them: every name spelled out
    const db = new DatabaseSync(path);
    for (const x of compact) db.prepare("UPDATE fieldsets SET names = ? WHERE id = ?").run(JSON.stringify(decodeNames(x.names)), x.id);
    db.exec("PRAGMA user_version = 5");
    const spelled = db.prepare("SELECT sum(length(names)) AS n FROM fieldsets").get() as { n: number };
    db.close();

    store = new EmbeddedStore(path);
    await store.open();
    try {
      const after = rollupSets(path);
      assert.deepEqual(after, compact, "rewritten in place: the same ids, the compact text");
      const check = new DatabaseSync(path, { readOnly: true });
      assert.equal(Number((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version), LAYOUT_VERSION);
      const now = check.prepare("SELECT sum(length(names)) AS n, count(*) AS c FROM fieldsets").get() as { n: number; c: number };
      check.close();
      assert.ok(now.n * 2 < spelled.n, `field set text ${now.n} against ${spelled.n} spelled out`);
      for (let i = 0; i < QUERIES.length; i++) sameAnswer(await store.query(QUERIES[i] as SeriesQuery), before[i], `query ${i} after the upgrade`, 1e-12);
      // more windows of the same series: their rollups take the same field sets
      await write(store, 700, 1200, r, state);
      await store.compact(T0 + 1200n * S, END);
      const grown = new DatabaseSync(path, { readOnly: true });
      const count = (grown.prepare("SELECT count(*) AS c FROM fieldsets").get() as { c: number }).c;
      const rollupIds = (grown.prepare("SELECT count(DISTINCT fieldset_id) AS c FROM rollups").get() as { c: number }).c;
      grown.close();
      assert.equal(count, now.c, "no field set added");
      assert.equal(rollupIds, compact.length);
    } finally {
      await store.close();
    }
  });
});
