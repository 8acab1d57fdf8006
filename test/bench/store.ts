// (e) store: the embedded file's size and reads with points as rows (the reference: how every point was kept before
// compaction) and packed into chunks, on the same data: `hours` of an agent-shaped host (test/helpers/host-points.ts:
// 8 CPUs, 4 interfaces, a TCP row; about 450 values a second) at 1 Hz, one batch a second, in a fresh file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seriesJson } from "../../collector/src/http/series-json.ts";
import { EmbeddedStore } from "../../collector/src/store/embedded/store.ts";
import { stringifyExact } from "../../collector/src/store/json.ts";
import { hostSecond, rng, T0, usedBytes } from "../helpers/host-points.ts";
import { derivedFieldRows } from "./store-derived.ts";
import { fmt, medianMs as timed, verdict, type BenchOutcome, type Row } from "./table.ts";

const S = 1_000_000_000n;
const NO_FLOOR = 2n ** 63n - 1n;
/** Targets (issue 19): stored bytes per value, and one series over 24 h at 1 Hz. */
const MAX_BYTES_PER_VALUE = 2;
const MAX_QUERY_MS = 100;

export interface StoreBenchOptions {
  hours: number;
  log: (line: string) => void;
}


export async function storeBench(o: StoreBenchOptions): Promise<BenchOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "eastwest-bench-store-"));
  const path = join(dir, "store.db");
  const store = new EmbeddedStore(path);
  await store.open();
  try {
    const seconds = Math.round(o.hours * 3600);
    const r = rng(11);
    const state = new Map<string, bigint>();
    let values = 0;
    let points = 0;
    const writeStart = performance.now();
    for (let s0 = 0; s0 < seconds; s0 += 60) {
      const batches = Array.from({ length: Math.min(60, seconds - s0) }, (_, i) => ({ agentId: "bench", seq: BigInt(s0 + i + 1), receivedNs: T0, points: hostSecond("bench", s0 + i, r, state) }));
      for (const b of batches) for (const p of b.points) (points++, (values += Object.keys(p.fields).length));
      for (const out of await store.writeBatches(batches)) if (out.kind !== "ok") throw new Error(`store refused a batch: ${out.kind}`);
    }
    const writeS = (performance.now() - writeStart) / 1000;
    o.log(`(e) wrote ${fmt(points, 0)} points (${fmt(values, 0)} values) in ${writeS.toFixed(1)} s`);
    const toNs = T0 + BigInt(seconds) * S;
    const all = { measurement: "cpu", fromNs: T0, toNs, tags: { cpu: "cpu0" } };
    const two = { ...all, fields: ["user_pct", "system_ns_total"] };
    // why: a series in Prometheus' sense is one field of one tag set
    const one = { ...all, fields: ["system_ns_total"] };
    const minutes = { ...all, everyNs: 60n * S };
    const rowsBytes = usedBytes(path) / values;
    const rowsAll = await timed(() => store.query(all));
    const rowsTwo = await timed(() => store.query(two));
    const rowsOne = await timed(() => store.query(one));
    const rowsMinutes = await timed(() => store.query(minutes));
    const packStart = performance.now();
    const packed = await store.compact(toNs, NO_FLOOR);
    const packS = (performance.now() - packStart) / 1000;
    o.log(`(e) packed ${fmt(packed.points, 0)} points into ${fmt(packed.chunks, 0)} chunks in ${packS.toFixed(1)} s`);
    const packedBytes = usedBytes(path) / values;
    const chunksAll = await timed(() => store.query(all));
    const columnsAll = await timed(() => store.queryColumns(all));
    // the HTTP API's body for it: written from the columns, against the rows through stringifyExact (as before)
    const bodyColumns = await timed(async () => seriesJson(all, await store.queryColumns(all)));
    const bodyRows = await timed(async () => stringifyExact({ query: all, series: await store.query(all) }));
    const chunksTwo = await timed(() => store.query(two));
    const chunksOne = await timed(() => store.query(one));
    const rolledMinutes = await timed(() => store.query(minutes));
    const h = `${o.hours} h`;
    const rows: Row[] = [
      { bench: "(e) store", metric: `bytes per stored value, ${h} at 1 Hz (packed vs rows)`, value: fmt(packedBytes, 2), reference: fmt(rowsBytes, 2), ratio: fmt(packedBytes / rowsBytes, 3), target: `<= ${MAX_BYTES_PER_VALUE} B`, result: verdict(packedBytes <= MAX_BYTES_PER_VALUE) },
      { bench: "(e) store", metric: `one series over ${h}, 20 fields as rows (query): ms (chunks vs rows)`, value: fmt(chunksAll, 1), reference: fmt(rowsAll, 1), ratio: fmt(chunksAll / rowsAll, 3), target: `< ${MAX_QUERY_MS} ms`, result: verdict(chunksAll < MAX_QUERY_MS) },
      { bench: "(e) store", metric: `one series over ${h}, 20 fields as columns (queryColumns, what the HTTP API serves): ms (vs the row answer)`, value: fmt(columnsAll, 1), reference: fmt(chunksAll, 1), ratio: fmt(columnsAll / chunksAll, 3), target: `< ${MAX_QUERY_MS} ms`, result: verdict(columnsAll < MAX_QUERY_MS) },
      { bench: "(e) store", metric: `GET /api/v1/series body for it, 20 fields: ms (from columns vs rows through stringifyExact)`, value: fmt(bodyColumns, 1), reference: fmt(bodyRows, 1), ratio: fmt(bodyColumns / bodyRows, 3), target: "-", result: "ok" },
      { bench: "(e) store", metric: `one series over ${h}, 2 fields: ms (chunks vs rows)`, value: fmt(chunksTwo, 1), reference: fmt(rowsTwo, 1), ratio: fmt(chunksTwo / rowsTwo, 3), target: `< ${MAX_QUERY_MS} ms`, result: verdict(chunksTwo < MAX_QUERY_MS) },
      { bench: "(e) store", metric: `one series over ${h}, 1 field (a Prometheus series): ms (chunks vs rows)`, value: fmt(chunksOne, 1), reference: fmt(rowsOne, 1), ratio: fmt(chunksOne / rowsOne, 3), target: `< ${MAX_QUERY_MS} ms`, result: verdict(chunksOne < MAX_QUERY_MS) },
      { bench: "(e) store", metric: `one series over ${h} in 1 min means, 20 fields: ms (rollups vs rows)`, value: fmt(rolledMinutes, 1), reference: fmt(rowsMinutes, 1), ratio: fmt(rolledMinutes / rowsMinutes, 3), target: `< ${MAX_QUERY_MS} ms`, result: verdict(rolledMinutes < MAX_QUERY_MS) },
      { bench: "(e) store", metric: "compaction: us per point packed (vs us per point written)", value: fmt((packS * 1e6) / packed.points, 1), reference: fmt((writeS * 1e6) / points, 1), ratio: fmt(packS / packed.points / (writeS / points), 3), target: "-", result: "ok" },
    ];
    rows.push(...(await derivedFieldRows(o.hours, o.log)));
    const notes = [`(e) ${fmt(points, 0)} points, ${fmt(values, 0)} values; bytes are the file's used pages (page_count - freelist_count); query times are medians of 5 after one untimed run`];
    return { rows, notes };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
