// Retention of the embedded store (store.retentionDays): old points, stale
// latest rows and old batch rows go; each agent's highest batch row, the
// idempotency of old seqs and gap detection stay right, also after reopen
// and across a collector's start.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { silentLogger, type Sample } from "@eastwest/common";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { Collector } from "../../../collector/src/collector.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { PRUNE_CHUNK } from "../../../collector/src/store/embedded/prune.ts";
import { LAYOUT_VERSION } from "../../../collector/src/store/embedded/schema.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const DAY = 86_400n * S;
const NOW = 1_800_000_000n * S;
const OLD = NOW - 10n * DAY;
const CUTOFF = NOW - 7n * DAY;

const point = (device: string, timeNs: bigint, v: bigint): Sample => ({ measurement: "netdev", tags: { device }, fields: { rx_bytes_total: v }, timeNs });

async function write(store: EmbeddedStore, agentId: string, seq: bigint, receivedNs: bigint, points: Sample[]) {
  const [out] = await store.writeBatches([{ agentId, seq, receivedNs, points }]);
  return out?.kind;
}

async function count(store: EmbeddedStore, device: string): Promise<number> {
  const series = await store.query({ measurement: "netdev", fromNs: 0n, toNs: NOW + DAY, tags: { device } });
  return series.reduce((n, s) => n + s.values.length, 0);
}

describe("embedded store: retention", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("retention")));
  afterEach(() => dir.remove());

  /** Agent a: seqs 1..6 old, 7..10 recent (devices old0 / new0); agent b: seqs 1..3, all old. */
  async function seeded(path: string): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(path);
    await store.open();
    for (let seq = 1n; seq <= 10n; seq++) {
      const old = seq <= 6n;
      assert.equal(await write(store, "a", seq, old ? OLD + seq : NOW + seq, [point(old ? "old0" : "new0", (old ? OLD : NOW) + seq * S, seq)]), "ok");
    }
    for (let seq = 1n; seq <= 3n; seq++) assert.equal(await write(store, "b", seq, OLD + seq, [point("oldb", OLD + seq * S, seq)]), "ok");
    return store;
  }

  it("removes old points, stale latest rows and old batch rows, keeping each agent's highest", async () => {
    const path = join(dir.path, "s.db");
    const store = await seeded(path);
    const r = await store.prune(CUTOFF);
    assert.deepEqual(r, { points: 9, latest: 2, batches: 6 + 2 });
    assert.equal(await count(store, "old0"), 0);
    assert.equal(await count(store, "oldb"), 0);
    assert.equal(await count(store, "new0"), 4);
    assert.deepEqual((await store.latest({ measurement: "netdev" })).map((l) => l.tags["device"]), ["new0"]);
    assert.equal(await store.highestSeq("a"), 10n);
    assert.equal(await store.highestSeq("b"), 3n);
    assert.deepEqual(await store.gaps("a"), []);
    assert.deepEqual(await store.gaps("b"), []);
    assert.deepEqual(await store.prune(CUTOFF), { points: 0, latest: 0, batches: 0 }, "a second prune finds nothing");
    await store.close();
  });

  it("answers a resend of a pruned seq with duplicate, also after reopen, and still finds new gaps", async () => {
    const path = join(dir.path, "s.db");
    const store = await seeded(path);
    await store.prune(CUTOFF);
    assert.equal(await write(store, "a", 2n, NOW, [point("old0", OLD + 2n * S, 2n)]), "duplicate");
    assert.equal(await count(store, "old0"), 0, "a pruned batch is not stored again");
    assert.equal(await write(store, "a", 12n, NOW + 12n, [point("new0", NOW + 12n * S, 12n)]), "ok");
    assert.deepEqual(await store.gaps("a"), [{ from: 11n, to: 11n }]);
    await store.close();
    const again = new EmbeddedStore(path);
    await again.open();
    assert.equal(await write(again, "a", 3n, NOW, [point("old0", OLD + 3n * S, 3n)]), "duplicate");
    assert.equal(await write(again, "b", 1n, NOW, [point("oldb", OLD + S, 1n)]), "duplicate");
    assert.deepEqual(await again.gaps("a"), [{ from: 11n, to: 11n }]);
    assert.equal(await write(again, "a", 11n, NOW + 11n, [point("new0", NOW + 11n * S, 11n)]), "ok");
    assert.deepEqual(await again.gaps("a"), []);
    await again.close();
  });

  it("works in chunks larger stores need, and an aborted prune leaves the rest to the next one", async () => {
    const store = new EmbeddedStore(join(dir.path, "s.db"));
    await store.open();
    const n = 2 * PRUNE_CHUNK + 123;
    const points = Array.from({ length: n }, (_, i) => point(`d${i % 50}`, OLD + BigInt(i), BigInt(i)));
    assert.equal(await write(store, "a", 1n, OLD, points), "ok");
    assert.equal(await write(store, "a", 2n, NOW, [point("new0", NOW, 1n)]), "ok");
    assert.equal((await store.prune(CUTOFF, AbortSignal.abort())).points, 0);
    const r = await store.prune(CUTOFF);
    assert.equal(r.points, n);
    assert.equal(r.batches, 1);
    assert.equal(await count(store, "new0"), 1);
    await store.close();
  });

  it("upgrades a layout-1 file on open and refuses a newer layout", async () => {
    const path = join(dir.path, "s.db");
    const store = await seeded(path);
    await store.close();
    const db = new DatabaseSync(path);
    db.exec("DROP TABLE pruned; DROP INDEX batches_by_received; PRAGMA user_version = 1;");
    db.close();
    const upgraded = new EmbeddedStore(path);
    await upgraded.open();
    assert.equal((await upgraded.prune(CUTOFF)).batches, 8);
    assert.equal(await write(upgraded, "a", 1n, NOW, [point("old0", OLD, 1n)]), "duplicate");
    await upgraded.close();
    const check = new DatabaseSync(path);
    assert.equal(Number((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version), LAYOUT_VERSION);
    check.exec(`PRAGMA user_version = ${LAYOUT_VERSION + 1}`);
    check.close();
    await assert.rejects(new EmbeddedStore(path).open(), /written by a newer eastwest/);
  });
});

describe("collector: store.retentionDays", function () {
  this.timeout(60_000);

  it("prunes at start and counts what it removed; 0 keeps everything", async () => {
    const dir = tempDir("retention-collector");
    try {
      const path = join(dir.path, "s.db");
      const now = BigInt(Date.now()) * 1_000_000n;
      const store = new EmbeddedStore(path);
      await store.open();
      assert.equal(await write(store, "a", 1n, now - 3n * DAY, [point("old", now - 3n * DAY, 1n), point("old", now - 3n * DAY + S, 2n)]), "ok");
      assert.equal(await write(store, "a", 2n, now, [point("new", now, 3n)]), "ok");
      await store.close();
      const start = async (retentionDays: number) => {
        const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path, retentionDays } } });
        const c = new Collector(config, silentLogger());
        await c.start();
        return c;
      };
      const keep = await start(0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(keep.stats.pointsPruned, 0n);
      await keep.stop();
      const c = await start(2);
      await waitFor(() => (c.stats.pointsPruned > 0n ? true : undefined), 10_000, "the start-up prune");
      assert.equal(c.stats.pointsPruned, 2n);
      const rows = await c.store.query({ measurement: "netdev", fromNs: 0n, toNs: now + DAY });
      assert.deepEqual(rows.map((s) => s.tags["device"]), ["new"]);
      assert.equal(await c.store.highestSeq("a"), 2n);
      await c.stop();
    } finally {
      dir.remove();
    }
  });

  it("refuses a negative or fractional retention with the key's path", () => {
    for (const bad of [-1, 1.5]) {
      assert.throws(() => loadCollectorConfig({ env: {}, flags: { store: { retentionDays: bad } } }), /store\.retentionDays/);
    }
    assert.throws(() => loadCollectorConfig({ env: { EASTWEST_STORE_RETENTION_DAYS: "x" }, flags: {} }), /EASTWEST_STORE_RETENTION_DAYS/);
    assert.equal(loadCollectorConfig({ env: { EASTWEST_STORE_RETENTION_DAYS: "30" }, flags: {} }).store.retentionDays, 30);
  });
});
