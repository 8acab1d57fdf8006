// Compaction of the embedded store (store/embedded/compact.ts): packing complete windows into chunks changes no
// answer (raw, filtered, bucketed, limited, late points, ties, mixed field sets and types), respects the sinks' floor
// and the point log's positions, shrinks the file, upgrades a layout-3 file, and retention removes whole chunks.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { nowNs, silentLogger, type FieldValue, type Sample } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { WINDOW_NS, windowOf } from "../../../collector/src/store/embedded/compact.ts";
import { LAYOUT_VERSION } from "../../../collector/src/store/embedded/schema.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { SeriesQuery } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0, usedBytes } from "../../helpers/host-points.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";
import { sameAnswer } from "../../helpers/same.ts";

const S = 1_000_000_000n;
const NO_FLOOR = 2n ** 63n - 1n;

async function writeAll(store: EmbeddedStore, agent: string, samples: Sample[][], seq0 = 1n): Promise<void> {
  const out = await store.writeBatches(samples.map((points, i) => ({ agentId: agent, seq: seq0 + BigInt(i), receivedNs: T0, points })));
  for (const o of out) assert.equal(o.kind, "ok", JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
}

const QUERIES: SeriesQuery[] = [
  { measurement: "cpu", fromNs: 0n, toNs: NO_FLOOR },
  { measurement: "cpu", fromNs: T0 + 290n * S, toNs: T0 + 610n * S, tags: { cpu: "cpu2" }, fields: ["user_pct", "system_ns_total"] },
  { measurement: "netdev", fromNs: 0n, toNs: NO_FLOOR, tags: { interface: "eth0" } },
  { measurement: "netdev", fromNs: T0, toNs: T0 + 900n * S, everyNs: 60n * S },
  { measurement: "netdev", fromNs: T0, toNs: T0 + 900n * S, everyNs: 60n * S, aggregate: "last", limit: 7 },
  { measurement: "tcp", fromNs: T0 + 1n, toNs: T0 + 700n * S, limit: 400 },
  { measurement: "cpu", fromNs: T0 + 59_500_000_000n, toNs: T0 + 650_250_000_000n, everyNs: 120n * S, aggregate: "min" },
  { measurement: "cpu", fromNs: T0 + 59_500_000_000n, toNs: T0 + 650_250_000_000n, everyNs: 60n * S, aggregate: "max", tags: { cpu: "cpu1" } },
  { measurement: "netdev", fromNs: T0 + 30n * S, toNs: T0 + 3000n * S, everyNs: 300n * S, aggregate: "last" },
  { measurement: "odd", fromNs: 0n, toNs: NO_FLOOR, everyNs: 60n * S },
  { measurement: "netdev", fromNs: T0 + 10n * S, toNs: T0 + 900n * S, everyNs: 120n * S, aggregate: "increase", fields: ["rx_bytes_total", "tx_packets_total", "rx_bytes_per_s"] },
  { measurement: "odd", fromNs: 0n, toNs: NO_FLOOR },
];

/** Every query's answer. */
async function answers(store: EmbeddedStore): Promise<unknown[]> {
  const all = [];
  for (const q of QUERIES) all.push(await store.query(q));
  return all;
}

/**
 * The same answers: equal types and values, floats within 1e-12 relative (means summed in another order: rollups,
 * late points packed apart), -0 apart from 0.
 */
const same = (a: unknown, b: unknown, where: string) => sameAnswer(a, b, where, 1e-12);

describe("embedded store: compaction into chunks", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("compaction")));
  afterEach(() => dir.remove());

  it("changes no answer: raw, filtered, bucketed, limited; late points, ties, mixed field sets and types", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 320, max: 700 }), fc.integer({ min: 0, max: 40 }), async (seed, seconds, late) => {
        const path = join(dir.path, `p${++runs}.db`);
        const store = new EmbeddedStore(path);
        await store.open();
        try {
          const r = rng(seed);
          const state = new Map<string, bigint>();
          await writeAll(store, "h1", Array.from({ length: seconds }, (_, s) => hostSecond("h1", s, r, state)));
          // a series whose fields and types change, with two points at one time
          const odd = (t: bigint, fields: Record<string, FieldValue>): Sample => ({ measurement: "odd", tags: { k: "v" }, timeNs: t, fields });
          await writeAll(store, "h2", [[odd(T0 + 5n * S, { a: 1n }), odd(T0 + 5n * S, { a: 2.5 }), odd(T0 + 6n * S, { a: "x", b: true }), odd(T0 + 400n * S, { a: -0 })]]);
          const before = await answers(store);
          const first = await store.compact(T0 + BigInt(seconds) * S, NO_FLOOR);
          assert.ok(first.points > 0 && first.chunks > 0, JSON.stringify(first));
          same(await answers(store), before, "after the first compaction");
          // late points into windows already packed (a resend from an agent's spool), then packed again
          await writeAll(store, "h1", Array.from({ length: late }, (_, i) => hostSecond("h1", i * 7, r, state)), 100_000n);
          const withLate = await answers(store);
          same(await answers(store), withLate, "with late points");
          await store.compact(T0 + BigInt(seconds) * S, NO_FLOOR);
          same(await answers(store), withLate, "after packing the late points");
        } finally {
          await store.close();
        }
      }),
      { numRuns: 4 },
    );
  });

  it("packs only complete windows before the cut-off and positions at or below the sinks' floor; the log's head never goes back", async () => {
    const path = join(dir.path, "floor.db");
    const store = new EmbeddedStore(path);
    await store.open();
    try {
      const r = rng(1);
      const state = new Map<string, bigint>();
      await writeAll(store, "h1", Array.from({ length: 900 }, (_, s) => hostSecond("h1", s, r, state)));
      const log = store.log!;
      const head = await log.head();
      const all = await log.readAfter(0n, 1_000_000);
      // the cut-off inside the third window: two windows are complete
      const floor = all[Math.floor(all.length / 3)]!.pos;
      const c = await store.compact(T0 + 2n * WINDOW_NS + 10n * S, floor);
      const packed = all.filter((p) => p.pos <= floor && p.timeNs < T0 + 2n * WINDOW_NS).length;
      assert.equal(c.points, packed);
      const left = await log.readAfter(floor, 1_000_000);
      assert.deepEqual(left, all.filter((p) => p.pos > floor), "every point the sinks have not read is still in the log");
      // without sinks everything complete goes, but for the newest row: positions never go back
      await store.compact(NO_FLOOR, NO_FLOOR);
      assert.equal(await log.head(), head);
      assert.equal((await log.readAfter(0n, 10)).length, 1);
      await writeAll(store, "h1", [hostSecond("h1", 2000, r, state)], 5000n);
      assert.ok((await log.readAfter(head, 100)).every((p) => p.pos > head));
    } finally {
      await store.close();
    }
  });

  /** Half an hour of one host at 1 Hz, one batch a second; the used bytes per value with rows, then packed. */
  async function hour(name: string, shape: (p: Sample) => Sample): Promise<{ values: number; rows: number; packed: number }> {
    const path = join(dir.path, name);
    const store = new EmbeddedStore(path);
    await store.open();
    let values = 0;
    try {
      const r = rng(7);
      const state = new Map<string, bigint>();
      const seconds = 1800;
      for (let s0 = 0; s0 < seconds; s0 += 100) {
        const batch = Array.from({ length: 100 }, (_, i) => hostSecond("h1", s0 + i, r, state).map(shape));
        for (const b of batch) for (const p of b) values += Object.keys(p.fields).length;
        await writeAll(store, "h1", batch, BigInt(s0 + 1));
      }
      const rows = usedBytes(path) / values;
      await store.compact(T0 + BigInt(seconds) * S, NO_FLOOR);
      const packed = usedBytes(path) / values;
      console.log(`      ${name}: ${values} values: rows ${rows.toFixed(2)} B/value, packed ${packed.toFixed(2)} B/value`);
      return { values, rows, packed };
    } finally {
      await store.close();
    }
  }

  it("packs a host's 1 Hz data into under 2 bytes per stored value (the file's used pages), with or without its rates and shares", async () => {
    const counters = await hour("counters.db", (p) => ({ ...p, fields: Object.fromEntries(Object.entries(p.fields).filter(([k]) => !/_(pct|per_s)$/.test(k))) }));
    const all = await hour("all.db", (p) => p);
    for (const [name, h] of [["counters and states", counters], ["with rates and shares", all]] as const) {
      assert.ok(h.packed <= 2, `${name}: ${h.packed} B/value`);
      assert.ok(h.packed < h.rows / 6, `${name}: packed ${h.packed}, rows ${h.rows} B/value`);
    }
  });

  it("answers minute buckets from rollups once the raw points are gone; rollup retention removes them", async () => {
    const path = join(dir.path, "rollups.db");
    const store = new EmbeddedStore(path);
    await store.open();
    try {
      const r = rng(9);
      const state = new Map<string, bigint>();
      await writeAll(store, "h1", Array.from({ length: 700 }, (_, s) => hostSecond("h1", s, r, state)));
      const q = (everyNs?: bigint, aggregate?: SeriesQuery["aggregate"]) => store.query({ measurement: "cpu", fromNs: T0, toNs: T0 + 700n * S, tags: { cpu: "cpu0" }, everyNs, aggregate });
      const text = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : typeof v === "number" ? Number(v.toPrecision(12)) : v));
      const before = { mean: text(await q(60n * S)), max: text(await q(300n * S, "max")), last: text(await q(120n * S, "last")) };
      await store.compact(T0 + 700n * S, NO_FLOOR);
      // raw retention takes the first two windows' chunks (their last points are before the cut-off)
      const pruned = await store.prune(T0 + 2n * WINDOW_NS);
      assert.equal(pruned.points, 2 * 300 * 13);
      const raw = await q();
      assert.ok((raw[0]?.values[0]?.[0] as bigint) >= T0 + 2n * WINDOW_NS, "no raw point before the cut-off");
      assert.equal(text(await q(60n * S)), before.mean);
      assert.equal(text(await q(300n * S, "max")), before.max);
      assert.equal(text(await q(120n * S, "last")), before.last);
      // rollup retention: the first window's minutes go (its last minute starts before the cut-off)
      assert.equal(await store.pruneRollups(T0 + WINDOW_NS), 13);
      const after = await q(60n * S);
      assert.equal(after[0]?.values[0]?.[0], T0 + WINDOW_NS);
      assert.equal(after[0]?.values.length, 7, "minutes 5..9 from rollups, 10..11 from the head");
    } finally {
      await store.close();
    }
  });

  it("upgrades a layout-3 file on open and packs what it held; retention removes whole chunks", async () => {
    const path = join(dir.path, "up.db");
    let store = new EmbeddedStore(path);
    await store.open();
    const r = rng(3);
    const state = new Map<string, bigint>();
    await writeAll(store, "h1", Array.from({ length: 700 }, (_, s) => hostSecond("h1", s, r, state)));
    const before = await answers(store);
    await store.close();
    const db = new DatabaseSync(path);
    db.exec("DROP INDEX chunks_by_time; DROP TABLE chunks; PRAGMA user_version = 3;");
    db.close();
    store = new EmbeddedStore(path);
    await store.open();
    try {
      same(await answers(store), before, "after the upgrade");
      const c = await store.compact(T0 + 700n * S, NO_FLOOR);
      assert.equal(c.chunks, 2 * (8 + 4 + 1), "two complete windows of 13 series");
      same(await answers(store), before, "after packing");
      const check = new DatabaseSync(path, { readOnly: true });
      assert.equal(Number((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version), LAYOUT_VERSION);
      check.close();
      // the first window's chunks are wholly before the cut-off; the second's are not
      const pruned = await store.prune(T0 + WINDOW_NS + 10n * S);
      assert.equal(pruned.points, 300 * 13);
      const cpu = await store.query({ measurement: "cpu", fromNs: 0n, toNs: NO_FLOOR, tags: { cpu: "cpu0" } });
      assert.equal(cpu[0]?.values[0]?.[0] !== undefined && (cpu[0].values[0][0] as bigint) >= T0 + WINDOW_NS, true);
      assert.equal(cpu[0]?.values.length, 400);
    } finally {
      await store.close();
    }
  });
});

describe("collector: compaction loop", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("compaction-collector")));
  afterEach(() => dir.remove());

  /** A file holding 700 s of one host from an hour ago, starting at a window's start. */
  async function seeded(path: string): Promise<void> {
    const store = new EmbeddedStore(path);
    await store.open();
    const r = rng(5);
    const state = new Map<string, bigint>();
    const shift = (windowOf(nowNs() - 3_600n * S) - T0);
    const samples = Array.from({ length: 700 }, (_, s) => hostSecond("h1", s, r, state).map((p) => ({ ...p, timeNs: p.timeNs + shift })));
    await writeAll(store, "h1", samples);
    await store.close();
  }

  async function started(path: string, sinks: unknown[] = []): Promise<Collector> {
    const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path }, sinks } });
    const c = new Collector(config, silentLogger());
    await c.start();
    return c;
  }

  it("packs what is complete at start, counts it, and answers as before", async () => {
    const path = join(dir.path, "c.db");
    await seeded(path);
    const q = { measurement: "cpu", fromNs: 0n, toNs: NO_FLOOR, tags: { cpu: "cpu3" } };
    const store = new EmbeddedStore(path);
    await store.open();
    const before = JSON.stringify(await store.query(q), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    await store.close();
    const c = await started(path);
    try {
      await waitFor(() => (c.stats.pointsCompacted > 0n ? true : undefined), 20_000, "the start-up compaction");
      // every window is complete an hour later: all 700 s of 13 series but the file's newest row (the log's head)
      assert.equal(c.stats.pointsCompacted, 700n * 13n - 1n);
      const after = JSON.stringify(await c.store.query(q), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
      assert.equal(after, before);
      assert.equal((JSON.parse(before) as Array<{ values: unknown[] }>)[0]?.values.length, 700, "the query saw every point");
    } finally {
      await c.stop();
    }
  });

  it("packs nothing a sink has not forwarded (its cursor is the floor)", async () => {
    const path = join(dir.path, "s.db");
    await seeded(path);
    // a sink whose receiver never answers: its cursor stays at the start of the log
    const c = await started(path, [{ kind: "prometheus", name: "dead", url: "http://127.0.0.1:9/api/v1/write", startFrom: "oldest" }]);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(c.stats.pointsCompacted, 0n);
      assert.ok((await c.store.log!.readAfter(0n, 10)).length === 10, "the log still holds the first points");
    } finally {
      await c.stop();
    }
  });
});
