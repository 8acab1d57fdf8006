// The columnar answer (store/columns.ts, Store.queryColumns) holds what the row answer does: for random hosts' data
// in a real embedded file, part packed into chunks and part head rows, late points, mixed field sets and types, big
// integers, strings and booleans, every query's columns turned back into rows equal query()'s rows exactly, and
// GET /api/v1/series' body written from the columns (http/series-json.ts) is stringifyExact's text of those rows.
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import type { FieldValue, Sample } from "@eastwest/common";
import { seriesJson } from "../../../collector/src/http/series-json.ts";
import { columnsOf, rowsOf } from "../../../collector/src/store/columns.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { stringifyExact } from "../../../collector/src/store/json.ts";
import type { SeriesQuery } from "../../../collector/src/store/types.ts";
import { hostSecond, rng, T0 } from "../../helpers/host-points.ts";
import { tempDir } from "../../helpers/procs.ts";
import { sameAnswer } from "../../helpers/same.ts";

const S = 1_000_000_000n;
const END = 2n ** 63n - 1n;

const odd = (t: bigint, fields: Record<string, FieldValue>): Sample => ({ measurement: "odd", tags: { k: "v" }, timeNs: t, fields });

/** A series whose fields change type: ints, floats, ints beyond 2^53, strings, booleans, -0, ties. */
function oddPoints(r: () => number, n: number): Sample[] {
  const kinds: Array<() => FieldValue> = [() => BigInt(Math.floor(r() * 1000)), () => r() * 10, () => 2n ** 60n + BigInt(Math.floor(r() * 9)), () => "s" + Math.floor(r() * 3), () => r() < 0.5, () => -0];
  return Array.from({ length: n }, (_, i) => {
    const fields: Record<string, FieldValue> = {};
    for (const name of ["a", "b", "c"]) if (r() < 0.7) fields[name] = (kinds[Math.floor(r() * (r() < 0.8 ? 2 : kinds.length))] as () => FieldValue)();
    if (Object.keys(fields).length === 0) fields.a = 1n;
    return odd(T0 + BigInt(Math.floor(i * 1.7)) * S, fields);
  });
}

const query: fc.Arbitrary<SeriesQuery> = fc.record({
  measurement: fc.constantFrom("cpu", "netdev", "tcp", "odd"),
  from: fc.integer({ min: -10, max: 700 }),
  span: fc.integer({ min: 0, max: 900 }),
  fields: fc.option(fc.subarray(["user_pct", "system_ns_total", "rx_bytes_total", "rx_bytes_per_s", "a", "b", "c", "absent"], { minLength: 1 }), { nil: undefined }),
  tags: fc.option(fc.constantFrom<Record<string, string>>({ cpu: "cpu2" }, { interface: "eth0" }, { k: "v" }), { nil: undefined }),
  every: fc.option(fc.constantFrom(10n, 60n, 120n), { nil: undefined }),
  aggregate: fc.option(fc.constantFrom("mean", "last", "min", "max", "increase") as fc.Arbitrary<"mean" | "last" | "min" | "max" | "increase">, { nil: undefined }),
  limit: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
}).map((g) => {
  const fromNs = g.from < 0 ? 0n : T0 + BigInt(g.from) * S + 123n;
  const q: SeriesQuery = { measurement: g.measurement, fromNs, toNs: g.span > 850 ? END : fromNs + BigInt(g.span) * S };
  if (g.fields !== undefined) q.fields = g.fields;
  if (g.tags !== undefined) q.tags = g.tags;
  if (g.every !== undefined) q.everyNs = g.every * S;
  if (g.every !== undefined && g.aggregate !== undefined) q.aggregate = g.aggregate;
  if (g.limit !== undefined) q.limit = g.limit;
  return q;
});

const same = (a: unknown, b: unknown, where: string) => sameAnswer(a, b, where);

async function check(store: EmbeddedStore, qs: SeriesQuery[], stage: string): Promise<void> {
  for (const q of qs) {
    const rows = await store.query(q);
    const cols = await store.queryColumns(q);
    same(cols.map(rowsOf), rows, `${stage} ${stringifyExact(q)}`);
    same(rows.map(columnsOf).map(rowsOf), rows, `${stage} (rows to columns and back)`);
    assert.equal(seriesJson(q, cols), stringifyExact({ query: q, series: rows }) + "\n", `${stage}: JSON text of ${stringifyExact(q)}`);
  }
}

describe("embedded store: the columnar answer", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("columns")));
  afterEach(() => dir.remove());

  it("is the row answer: head rows, chunks, late points, rollups, every field type, limits and buckets", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 320, max: 700 }), fc.array(query, { minLength: 12, maxLength: 12 }), async (seed, seconds, qs) => {
        const store = new EmbeddedStore(join(dir.path, `c${++runs}.db`));
        await store.open();
        try {
          const r = rng(seed);
          const state = new Map<string, bigint>();
          const write = async (agent: string, seq0: bigint, samples: Sample[][]) => {
            for (const o of await store.writeBatches(samples.map((points, i) => ({ agentId: agent, seq: seq0 + BigInt(i), receivedNs: T0, points })))) assert.equal(o.kind, "ok");
          };
          await write("h1", 1n, Array.from({ length: seconds }, (_, s) => hostSecond("h1", s, r, state)));
          await write("h2", 1n, [oddPoints(r, 400)]);
          await check(store, qs, "head rows only");
          // the first complete windows packed, the rest left as head rows
          await store.compact(T0 + 300n * S, END);
          await check(store, qs, "part packed");
          await write("h1", 100_000n, Array.from({ length: 30 }, (_, i) => hostSecond("h1", i * 7, r, state)));
          await check(store, qs, "late points");
          await store.compact(T0 + BigInt(seconds + 400) * S, END);
          await check(store, qs, "all packed");
        } finally {
          await store.close();
        }
      }),
      { numRuns: 6 },
    );
  });
});
