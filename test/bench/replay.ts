// Replays a store file's points into a fresh one and measures what the fresh one takes per stored value: how a real
// recording (say an hour of `./eastwest up`) packs with this build's layout. Every point of every measurement is read
// as stored (head rows and chunks, with their field sets), grouped into one batch per writer (the agent_id tag, else
// the collector's own writer) and second, written in time order, then compacted past the end (chunks, rollups and
// the ledger's fold).
//   node bench/replay.ts SOURCE.db [--keep DIR] [--as-is]
// The source is copied first (opening it with this build may upgrade its layout). Prints bytes per value, in all and
// per table (SQLite's dbstat), and the values and batches replayed. --as-is measures the source as it was left (its
// head rows unpacked, as a collector leaves the newest minutes) instead of a replay.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import type { Sample } from "@eastwest/common";
import { decodeFields, decodeNames } from "../../collector/src/store/codec.ts";
import { decodeChunk } from "../../collector/src/store/embedded/chunk.ts";
import { EmbeddedStore } from "../../collector/src/store/embedded/store.ts";
import type { StoredBatch } from "../../collector/src/store/types.ts";
import { usedBytes } from "../helpers/host-points.ts";

const S = 1_000_000_000n;
const END = 2n ** 63n - 1n;
const { positionals, values: flags } = parseArgs({ allowPositionals: true, options: { keep: { type: "string" }, "as-is": { type: "boolean" } } });
const source = positionals[0];
if (source === undefined || !existsSync(source)) throw new Error("usage: node bench/replay.ts SOURCE.db [--keep DIR]");
const dir = flags.keep ?? mkdtempSync(join(tmpdir(), "eastwest-replay-"));
const copy = join(dir, "source.db");
for (const ext of ["", "-wal"]) if (existsSync(source + ext)) copyFileSync(source + ext, copy + ext);
const target = flags["as-is"] === true ? copy : join(dir, "replay.db");
const dst = new EmbeddedStore(join(dir, "replay.db"));
if (flags["as-is"] !== true) await dst.open();
try {
  // per writer and second, its points: read as stored (head rows and chunks, each with its field set in its order),
  // so that the replay has the recording's field sets
  const groups = new Map<string, Sample[]>();
  let values = 0;
  let first = END;
  let last = -END;
  const add = (measurement: string, tags: Record<string, string>, timeNs: bigint, fields: Sample["fields"]) => {
    values += Object.keys(fields).length;
    if (timeNs < first) first = timeNs;
    if (timeNs > last) last = timeNs;
    const key = `${timeNs / S}\u0000${tags["agent_id"] ?? "eastwest-collector.replay"}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push({ measurement, tags, timeNs, fields });
  };
  const db = new DatabaseSync(copy, { readOnly: true, readBigInts: true });
  try {
    const fieldsets = new Map<bigint, string[]>();
    for (const r of db.prepare("SELECT id, names FROM fieldsets").all()) fieldsets.set(r.id as bigint, decodeNames(String(r.names)));
    const onSeries = "JOIN series s ON s.id = x.series_id";
    for (const r of db.prepare(`SELECT s.measurement, s.tags, x.time_ns, x.fieldset_id, x.vals FROM points x ${onSeries}`).iterate()) {
      add(String(r.measurement), JSON.parse(String(r.tags)) as Record<string, string>, r.time_ns as bigint, decodeFields(fieldsets.get(r.fieldset_id as bigint) as string[], String(r.vals)));
    }
    for (const r of db.prepare(`SELECT s.measurement, s.tags, x.fieldset_id, x.data FROM chunks x ${onSeries}`).iterate()) {
      const names = fieldsets.get(r.fieldset_id as bigint) as string[];
      const c = decodeChunk(r.data as Uint8Array);
      const tags = JSON.parse(String(r.tags)) as Record<string, string>;
      c.times.forEach((t, i) => {
        const fields: Sample["fields"] = {};
        names.forEach((n, j) => (fields[n] = (c.columns[j] as Sample["fields"][string][])[i] as Sample["fields"][string]));
        add(String(r.measurement), tags, t, fields);
      });
    }
  } finally {
    db.close();
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [sa, wa] = a.split("\u0000") as [string, string];
    const [sb, wb] = b.split("\u0000") as [string, string];
    return BigInt(sa) < BigInt(sb) ? -1 : BigInt(sa) > BigInt(sb) ? 1 : wa < wb ? -1 : wa > wb ? 1 : 0;
  });
  const seqs = new Map<string, bigint>();
  const batches: StoredBatch[] = keys.map((key) => {
    const [sec, writer] = key.split("\u0000") as [string, string];
    const seq = (seqs.get(writer) ?? 0n) + 1n;
    seqs.set(writer, seq);
    return { agentId: writer, seq, receivedNs: BigInt(sec) * S, points: groups.get(key) as Sample[] };
  });
  if (flags["as-is"] !== true) {
    for (let i = 0; i < batches.length; i += 60) {
      for (const o of await dst.writeBatches(batches.slice(i, i + 60))) if (o.kind !== "ok") throw new Error(`replay: a batch was ${o.kind}`);
    }
    await dst.compact(last + 3600n * S, END);
    await dst.close();
  }
  const bytes = usedBytes(target);
  const seconds = Number(last - first) / 1e9;
  console.log(`${flags["as-is"] === true ? "as left" : "replayed"}: ${values.toLocaleString("en")} values (${(values / seconds).toFixed(0)} a second over ${(seconds / 3600).toFixed(2)} h), ${batches.length.toLocaleString("en")} batches of ${seqs.size} writers`);
  console.log(`bytes per value: ${(bytes / values).toFixed(3)} (${bytes.toLocaleString("en")} bytes used)`);
  const out = new DatabaseSync(target, { readOnly: true });
  try {
    for (const r of out.prepare("SELECT name, sum(pgsize) AS size, sum(pgsize - unused) AS data FROM dbstat GROUP BY name ORDER BY size DESC").all()) {
      console.log(`  ${String(r.name).padEnd(30)} ${(Number(r.size) / values).toFixed(3)} per value (data ${(Number(r.data) / values).toFixed(3)})`);
    }
  } finally {
    out.close();
  }
} finally {
  await dst.close();
  if (flags.keep === undefined) rmSync(dir, { recursive: true, force: true });
}
