// Compaction in slices (store/embedded/compact.ts): a window is planned as slices of whole series of about a given
// number of rows, each moved in a transaction of its own; packing slice by slice changes no answer, and a row that
// is gone between the plan and its slice (pruned meanwhile) is skipped, not an error.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CompactSteps, WINDOW_NS } from "../../../collector/src/store/embedded/compact.ts";
import { EmbeddedFile } from "../../../collector/src/store/embedded/file.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { SeriesQuery } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0 } from "../../helpers/host-points.ts";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const NO_FLOOR = 2n ** 63n - 1n;

describe("embedded store: compaction in slices", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  let file: EmbeddedFile;

  beforeEach(async () => {
    dir = tempDir("compact-slices");
    const path = join(dir.path, "store.db");
    store = new EmbeddedStore(path);
    await store.open();
    const r = rng(5);
    const state = new Map<string, bigint>();
    // 10 minutes and a bit of two hosts: two complete windows and the start of a third
    const batches = Array.from({ length: 620 }, (_, s) => ({ agentId: "a", seq: BigInt(s + 1), receivedNs: T0, points: [...hostSecond("h1", s, r, state), ...hostSecond("h2", s, r, state)] }));
    for (const out of await store.writeBatches(batches)) assert.equal(out.kind, "ok");
    file = new EmbeddedFile(path);
  });

  afterEach(async () => {
    file.release();
    await store.close();
    dir.remove();
  });

  const QUERIES: SeriesQuery[] = [
    { measurement: "cpu", fromNs: 0n, toNs: NO_FLOOR },
    { measurement: "cpu", fromNs: T0, toNs: T0 + 620n * S, everyNs: 60n * S, aggregate: "max" },
    { measurement: "netdev", fromNs: T0 + 100n * S, toNs: T0 + 500n * S, tags: { interface: "eth0" } },
  ];
  const answers = async () => Promise.all(QUERIES.map((q) => store.query(q)));

  it("plans whole series per slice, about maxRows each, and packing slice by slice changes no answer", async () => {
    const conn = file.acquire();
    const steps = new CompactSteps(conn);
    const cpu = BigInt(conn.db.prepare("SELECT id FROM measurements WHERE name = 'cpu'").get()?.id as bigint);
    const slices = steps.plan(cpu, T0, NO_FLOOR, 700);
    // 16 CPU series of about 300 rows in the window: two series a slice
    const seriesOf = conn.db.prepare("SELECT series_id AS s FROM points WHERE rowid = ?");
    const seen = new Set<bigint>();
    for (const slice of slices) {
      assert.ok(slice.length <= 700 && slice.length > 0, `slice of ${slice.length}`);
      const series = new Set(slice.map((pos) => seriesOf.get(pos)?.s as bigint));
      for (const s of series) assert.ok(!seen.has(s), `series ${s} in two slices`);
      for (const s of series) seen.add(s);
    }
    assert.equal(seen.size, 16);
    const window = Number(conn.db.prepare("SELECT count(*) AS n FROM points WHERE measurement_id = ? AND time_ns >= ? AND time_ns < ?").get(cpu, T0, T0 + WINDOW_NS)?.n);
    assert.equal(slices.flat().length, window, "every row of the window is in a slice");
    const before = await answers();
    let packed = 0;
    for (const slice of slices) packed += steps.window(cpu, slice).points;
    assert.equal(packed, window);
    assert.deepEqual(await answers(), before);
    assert.equal(Number(conn.db.prepare("SELECT count(*) AS n FROM chunks WHERE measurement_id = ?").get(cpu)?.n), 16);
  });

  it("skips a row pruned between the plan and its slice", async () => {
    const conn = file.acquire();
    const steps = new CompactSteps(conn);
    const cpu = BigInt(conn.db.prepare("SELECT id FROM measurements WHERE name = 'cpu'").get()?.id as bigint);
    const [first] = steps.plan(cpu, T0, NO_FLOOR, 700);
    assert.ok(first !== undefined);
    conn.db.prepare("DELETE FROM points WHERE rowid = ?").run(first[0] as number);
    const before = await answers();
    assert.equal(steps.window(cpu, first).points, first.length - 1);
    assert.deepEqual(await answers(), before);
  });
});
