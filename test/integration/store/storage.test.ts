// The seam between the ledger and a point store: a point store that implements PointStore alone (in memory here)
// gets idempotency, gaps and acks from the embedded ledger; the kinds come from the registry.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeConfigSchema, storeDefaults } from "../../../collector/src/store/config.ts";
import { EmbeddedFile } from "../../../collector/src/store/embedded/file.ts";
import { EmbeddedLedger } from "../../../collector/src/store/embedded/ledger.ts";
import { POINT_STORE_KINDS } from "../../../collector/src/store/index.ts";
import type { PointsPruned, PointStore, Prepared } from "../../../collector/src/store/point-store.ts";
import { Storage } from "../../../collector/src/store/storage.ts";
import type { LatestRow, Series, StoredBatch, WriteOutcome } from "../../../collector/src/store/types.ts";

/** Keeps staged batches in memory; `answer` decides phase 1 per batch. */
class MemoryPoints implements PointStore<string> {
  readonly prepared: string[] = [];
  readonly staged: string[] = [];
  readonly settled: boolean[] = [];
  answer: (b: StoredBatch) => WriteOutcome | undefined = () => undefined;
  failStage = false;

  async open(): Promise<void> {}
  async prepare(bs: readonly StoredBatch[]): Promise<Array<Prepared<string>>> {
    return bs.map((b) => {
      const key = `${b.agentId}/${b.seq}`;
      this.prepared.push(key);
      return this.answer(b) ?? { kind: "staged", stored: b.points.length, data: key };
    });
  }
  stage(key: string): void {
    if (this.failStage) throw Object.assign(new Error("disk I/O error"), { errcode: 10 });
    this.staged.push(key);
  }
  settle(committed: boolean): void {
    this.settled.push(committed);
  }
  async query(): Promise<Series[]> {
    return [];
  }
  async latest(): Promise<LatestRow[]> {
    return [];
  }
  async prune(): Promise<PointsPruned> {
    return { points: 0, latest: 0 };
  }
  async close(): Promise<void> {}
}

const b = (seq: bigint, agentId = "m1"): StoredBatch => ({ agentId, seq, receivedNs: 1n, points: [] });

describe("storage: a point store with the embedded ledger", () => {
  let dir: string;
  let points: MemoryPoints;
  let store: Storage<string>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-storage-"));
    points = new MemoryPoints();
    store = new Storage(new EmbeddedLedger(new EmbeddedFile(join(dir, "ledger.db"))), points);
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stages only new (agent_id, seq)s; the ledger answers duplicate and keeps gaps", async () => {
    assert.deepEqual(await store.writeBatches([b(1n), b(3n), b(1n)]), [{ kind: "ok", stored: 0 }, { kind: "ok", stored: 0 }, { kind: "duplicate" }]);
    assert.deepEqual(await store.writeBatches([b(3n)]), [{ kind: "duplicate" }]);
    assert.deepEqual(points.staged, ["m1/1", "m1/3"]);
    assert.deepEqual(points.settled, [true, true]);
    assert.equal(await store.highestSeq("m1"), 3n);
    assert.deepEqual(await store.gaps("m1"), [{ from: 2n, to: 2n }]);
  });

  it("passes the point store's rejected and retryable through, recording nothing for them", async () => {
    points.answer = (x) => (x.seq === 1n ? { kind: "rejected", reason: "no" } : x.seq === 2n ? { kind: "retryable", afterMs: 5, reason: "down" } : undefined);
    const out = await store.writeBatches([b(1n), b(2n), b(3n)]);
    assert.deepEqual(out.map((o) => o.kind), ["rejected", "retryable", "ok"]);
    assert.deepEqual(await store.gaps("m1"), [{ from: 1n, to: 2n }]);
  });

  it("never hands the point store what the ledger cannot record", async () => {
    const [out] = await store.writeBatches([b(0n)]);
    assert.equal(out?.kind, "rejected");
    assert.deepEqual(points.prepared, []);
  });

  it("a failing stage fails the whole commit: every staged batch retryable, nothing recorded", async () => {
    points.failStage = true;
    const out = await store.writeBatches([b(1n), b(2n)]);
    assert.deepEqual(out.map((o) => o.kind), ["retryable", "retryable"]);
    assert.deepEqual(points.settled, [false]);
    assert.equal(await store.highestSeq("m1"), 0n);
  });
});

describe("store registry", () => {
  it("store.kind accepts exactly the registered point stores", () => {
    assert.deepEqual(POINT_STORE_KINDS, ["embedded", "influx"]);
    const base = storeDefaults();
    for (const kind of POINT_STORE_KINDS) assert.equal(storeConfigSchema.safeParse({ ...base, kind }).success, true, kind);
    assert.equal(storeConfigSchema.safeParse({ ...base, kind: "memory" }).success, false);
  });
});
