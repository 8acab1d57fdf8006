// The embedded store end to end: points with their types, queries, lifecycle, errors, two writers on one file.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { StoreError } from "../../../collector/src/store/types.ts";

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const U64_MAX = 2n ** 64n - 1n;
const I64_MAX = 2n ** 63n - 1n;

function point(device: string, timeNs: bigint, fields: Sample["fields"], host = "h1"): Sample {
  return { measurement: "netdev", tags: { agent_id: "a1", host, device }, fields, timeNs };
}


describe("embedded store", () => {
  let dir: string;
  let path: string;
  let store: EmbeddedStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-store-"));
    path = join(dir, "sub", "store.db");
    store = new EmbeddedStore({ path, clock: () => T0 });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function reopen(): Promise<void> {
    await store.close();
    store = new EmbeddedStore({ path, clock: () => T0 });
    await store.open();
  }

  it("writes a batch and reads it back with types intact", async () => {
    const fields = { rx_bytes_total: 123n, rx_bytes_per_s: 1.0, up: true, state: "up", neg: -5n };
    const out = await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, fields)], receivedNs: T0 });
    assert.deepEqual(out, { kind: "ok", stored: 1 });
    const series = await store.query({ measurement: "netdev", fromNs: T0, toNs: T0 });
    assert.equal(series.length, 1);
    assert.deepEqual(series[0]!.tags, { agent_id: "a1", device: "eth0", host: "h1" });
    assert.deepEqual(series[0]!.columns, ["time_ns", "neg", "rx_bytes_per_s", "rx_bytes_total", "state", "up"]);
    assert.deepEqual(series[0]!.values, [[T0, -5n, 1.0, 123n, "up", true]]);
    assert.equal(typeof series[0]!.values[0]![2], "number");
  });

  it("reads points whose field sets differ within one series", async () => {
    const points = [point("eth0", T0, { a: 1n, b: 2.5 }), point("eth0", T0 + S, { b: 3.5, c: "x" }), point("eth0", T0 + 2n * S, { a: 4n })];
    await store.writeBatch({ agentId: "a1", seq: 1n, points, receivedNs: T0 });
    await reopen();
    const [s] = await store.query({ measurement: "netdev", fromNs: T0, toNs: T0 + 2n * S });
    assert.deepEqual(s!.columns, ["time_ns", "a", "b", "c"]);
    assert.deepEqual(s!.values, [[T0, 1n, 2.5, null], [T0 + S, null, 3.5, "x"], [T0 + 2n * S, 4n, null, null]]);
  });

  it("keeps 64-bit integers exact: 2^63-1, 2^53+1, 2^64-1 and int64 min", async () => {
    const fields = { a: I64_MAX, b: 2n ** 53n + 1n, c: U64_MAX, d: -(2n ** 63n), e: 2 ** 53 + 2 };
    await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, fields)], receivedNs: T0 });
    await reopen();
    const [row] = await store.latest({ measurement: "netdev" });
    assert.deepEqual(row!.fields, fields);
    const [s] = await store.query({ measurement: "netdev", fromNs: T0, toNs: T0, fields: ["a", "b", "c", "d", "e"] });
    assert.deepEqual(s!.values[0], [T0, I64_MAX, 2n ** 53n + 1n, U64_MAX, -(2n ** 63n), 2 ** 53 + 2]);
  });

  it("keeps data, series ids and records across close and reopen", async () => {
    await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, { x: 1n })], receivedNs: T0 });
    await store.putRecord("run", "r1", { name: "default", bytes: U64_MAX, n: 3 });
    await reopen();
    await store.writeBatch({ agentId: "a1", seq: 2n, points: [point("eth0", T0 + S, { x: 2n })], receivedNs: T0 });
    assert.equal(await store.highestSeq("a1"), 2n);
    assert.deepEqual((await store.writeBatch({ agentId: "a1", seq: 1n, points: [], receivedNs: T0 })).kind, "duplicate");
    const series = await store.query({ measurement: "netdev", fromNs: 0n, toNs: T0 * 2n });
    assert.equal(series.length, 1, "the same tag set maps to the same series after reopen");
    assert.deepEqual(series[0]!.values, [[T0, 1n], [T0 + S, 2n]]);
    const rec = await store.getRecord("run", "r1");
    assert.deepEqual(rec, { kind: "run", id: "r1", updatedNs: T0, doc: { name: "default", bytes: U64_MAX, n: 3 } });
  });

  it("filters by tags and a closed time range, in time order", async () => {
    const points = [
      point("eth0", T0 + 2n * S, { x: 2n }),
      point("eth1", T0 + S, { x: 10n }),
      point("eth0", T0, { x: 0n }),
      point("eth0", T0 + 3n * S, { x: 3n }),
      point("eth0", T0 + S, { x: 1n }, "h2"),
    ];
    await store.writeBatch({ agentId: "a1", seq: 1n, points, receivedNs: T0 });
    const got = await store.query({ measurement: "netdev", fromNs: T0, toNs: T0 + 2n * S, tags: { device: "eth0", host: "h1" } });
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.values, [[T0, 0n], [T0 + 2n * S, 2n]]);
    const all = await store.query({ measurement: "netdev", fromNs: T0 + S, toNs: T0 + S });
    assert.deepEqual(all.map((s) => [s.tags.device, s.tags.host, s.values.length]), [["eth0", "h2", 1], ["eth1", "h1", 1]]);
    assert.deepEqual(await store.query({ measurement: "netdev", fromNs: T0, toNs: T0, tags: { device: "nope" } }), []);
    assert.deepEqual(await store.query({ measurement: "nothing", fromNs: 0n, toNs: T0 }), []);
  });

  it("treats tag sets with the same pairs in another order as one series", async () => {
    const a: Sample = { measurement: "netdev", tags: { host: "h1", device: "eth0" }, fields: { x: 1n }, timeNs: T0 };
    const b: Sample = { measurement: "netdev", tags: { device: "eth0", host: "h1" }, fields: { x: 2n }, timeNs: T0 + S };
    await store.writeBatch({ agentId: "a1", seq: 1n, points: [a], receivedNs: T0 });
    await store.writeBatch({ agentId: "a1", seq: 2n, points: [b], receivedNs: T0 });
    const series = await store.query({ measurement: "netdev", fromNs: 0n, toNs: T0 * 2n });
    assert.equal(series.length, 1);
    assert.deepEqual(Object.keys(series[0]!.tags), ["device", "host"]);
  });

  it("aggregates into epoch-aligned buckets and honours limit", async () => {
    const points = [0n, 1n, 2n, 3n, 4n].map((i) => point("eth0", T0 + i * S, { x: i * 10n, f: 1.5, s: "v" + i }));
    await store.writeBatch({ agentId: "a1", seq: 1n, points, receivedNs: T0 });
    const q = { measurement: "netdev", fromNs: T0, toNs: T0 + 4n * S, everyNs: 2n * S };
    const [mean] = await store.query({ ...q, fields: ["x", "f", "s"] });
    assert.deepEqual(mean!.values, [[T0, 5, 1.5, null], [T0 + 2n * S, 25, 1.5, null], [T0 + 4n * S, 40, 1.5, null]]);
    const [last] = await store.query({ ...q, aggregate: "last", fields: ["x", "s"] });
    assert.deepEqual(last!.values, [[T0, 10n, "v1"], [T0 + 2n * S, 30n, "v3"], [T0 + 4n * S, 40n, "v4"]]);
    const [cut] = await store.query({ measurement: "netdev", fromNs: T0, toNs: T0 + 4n * S, limit: 2, fields: ["x"] });
    assert.deepEqual(cut!.values, [[T0, 0n], [T0 + S, 10n]]);
    assert.equal(cut!.truncated, true);
  });

  it("returns the newest point per series, filtered by measurement and tags", async () => {
    await store.writeBatch({
      agentId: "a1",
      seq: 1n,
      points: [point("eth0", T0 + S, { x: 2n }), point("eth0", T0, { x: 1n }), point("eth1", T0, { x: 7n })],
      receivedNs: T0,
    });
    await store.writeBatch({ agentId: "a1", seq: 2n, points: [point("eth0", T0 - S, { x: 0n })], receivedNs: T0 });
    const other: Sample = { measurement: "cpu", tags: { agent_id: "a2" }, fields: { busy: 0.5 }, timeNs: T0 };
    await store.writeBatch({ agentId: "a2", seq: 1n, points: [other], receivedNs: T0 });
    const rows = await store.latest({ measurement: "netdev" });
    assert.deepEqual(rows.map((r) => [r.tags.device, r.timeNs, r.fields.x]), [["eth0", T0 + S, 2n], ["eth1", T0, 7n]]);
    assert.deepEqual((await store.latest({ tags: { agent_id: "a2" } })).map((r) => r.measurement), ["cpu"]);
    assert.equal((await store.latest({})).length, 3);
  });

  it("rejects values no store can hold, writing nothing", async () => {
    const cases: Array<[Sample["fields"], RegExp]> = [
      [{ x: Number.NaN }, /field x: NaN/],
      [{ x: Infinity }, /field x: Infinity/],
      [{ x: 2n ** 64n }, /field x: integer/],
      [{}, /at least one field/],
    ];
    for (const [fields, reason] of cases) {
      const out = await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, fields)], receivedNs: T0 });
      assert.equal(out.kind, "rejected");
      assert.match(out.kind === "rejected" ? out.reason : "", reason);
    }
    const badSeq = await store.writeBatch({ agentId: "a1", seq: 0n, points: [], receivedNs: T0 });
    assert.equal(badSeq.kind, "rejected");
    assert.equal(await store.highestSeq("a1"), 0n);
  });

  it("is safe to close twice and without open; reports not-open as retryable", async () => {
    await store.close();
    await store.close();
    const never = new EmbeddedStore({ path: join(dir, "never.db") });
    await never.close();
    const out = await store.writeBatch({ agentId: "a1", seq: 1n, points: [], receivedNs: T0 });
    assert.equal(out.kind, "retryable");
    await assert.rejects(store.highestSeq("a1"), (err: unknown) => err instanceof StoreError && /not open/.test(err.message));
  });

  it("refuses to open a file that is not a store, with a named error", async () => {
    const junk = join(dir, "junk.db");
    await writeFile(junk, "this is not an sqlite file".repeat(200));
    const bad = new EmbeddedStore({ path: junk });
    await assert.rejects(bad.open(), (err: unknown) => err instanceof StoreError && err.cause !== undefined);
    await bad.close();
  });

  it("answers busy as retryable while another connection holds the write lock", async () => {
    await store.close();
    store = new EmbeddedStore({ path, busyTimeoutMs: 0 });
    await store.open();
    const { DatabaseSync } = await import("node:sqlite");
    const other = new DatabaseSync(path, { timeout: 0 });
    other.exec("BEGIN IMMEDIATE");
    try {
      const out = await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, { x: 1n })], receivedNs: T0 });
      assert.equal(out.kind, "retryable");
      assert.match(out.kind === "retryable" ? out.reason : "", /busy|locked/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    const out = await store.writeBatch({ agentId: "a1", seq: 1n, points: [point("eth0", T0, { x: 1n })], receivedNs: T0 });
    assert.deepEqual(out, { kind: "ok", stored: 1 });
  });
});


describe("embedded store: two writers on one file", () => {
  it("lets two stores (two collectors) intern the same series without conflict", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { EmbeddedStore } = await import("../../../collector/src/store/embedded/store.ts");
    const dir = mkdtempSync(join(tmpdir(), "eastwest-two-"));
    const a = new EmbeddedStore({ path: join(dir, "s.db"), busyTimeoutMs: 2000 });
    const b = new EmbeddedStore({ path: join(dir, "s.db"), busyTimeoutMs: 2000 });
    await a.open();
    await b.open();
    const t = 1_700_000_000_000_000_000n;
    const batch = (agentId: string, seq: bigint) => ({ agentId, seq, receivedNs: t, points: [{ measurement: "shared_m", tags: { k: "same" }, fields: { x: 1 }, timeNs: t + seq }] });
    assert.equal((await a.writeBatch(batch("one", 1n))).kind, "ok");
    assert.equal((await b.writeBatch(batch("two", 1n))).kind, "ok", "b interns ids a created after b loaded its cache");
    assert.equal((await a.writeBatch(batch("one", 2n))).kind, "ok");
    const series = await a.query({ measurement: "shared_m", fromNs: t, toNs: t + 10n });
    assert.equal(series.length, 1, "one series for both writers");
    assert.equal(series[0]?.values.length, 3);
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
