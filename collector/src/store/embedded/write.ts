// The embedded point store's write path: points encoded before the ledger's
// transaction (prepareBatch), inserted inside it (PointWriter.insert) with
// multi-row INSERTs. Synchronous: nothing else runs between BEGIN and COMMIT.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Sample } from "@eastwest/common";
import { encodeNames, encodeValues, INT64_MAX, INT64_MIN, tagKey } from "../codec.ts";
import type { StoredBatch } from "../types.ts";
import { InternedIds } from "./ids.ts";

/** One point, ready for the points table. */
export interface PreparedPoint {
  measurement: string;
  tagKey: string;
  tags: Record<string, string>;
  timeNs: bigint;
  /** Field names as a JSON array (the field set). */
  names: string;
  /** Field values as a JSON array. */
  values: string;
}

export type EncodedPoints = { ok: true; points: PreparedPoint[] } | { ok: false; reason: string };

/**
 * What a point's tags and field names encode to, by the decoder's series and
 * shape keys (StoredBatch.keys): computed for the first point of a series or
 * shape, then reused. Bounded; emptied when full.
 */
class KeyCache {
  readonly #max: number;
  readonly #map = new Map<string, string>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string | undefined, compute: () => string): string {
    if (key === undefined) return compute();
    let v = this.#map.get(key);
    if (v === undefined) {
      v = compute();
      if (this.#map.size >= this.#max) this.#map.clear();
      this.#map.set(key, v);
    }
    return v;
  }
}

const TAG_KEYS = new KeyCache(50_000);
const FIELD_SETS = new KeyCache(10_000);

/** Checks that a batch's points can be stored and encodes them (the ledger checks agent_id, seq, received_ns). Pure but for the caches above. */
export function prepareBatch(b: StoredBatch): EncodedPoints {
  const points: PreparedPoint[] = new Array(b.points.length);
  for (let i = 0; i < b.points.length; i++) {
    const p = preparePoint(b.points[i] as Sample, b.keys?.series[i], b.keys?.shapes[i]);
    if (typeof p === "string") return { ok: false, reason: `point ${i}: ${p}` };
    points[i] = p;
  }
  return { ok: true, points };
}

function preparePoint(s: Sample, series: string | undefined, shape: string | undefined): PreparedPoint | string {
  if (typeof s.measurement !== "string" || s.measurement === "") return "measurement is empty";
  if (typeof s.timeNs !== "bigint" || s.timeNs < INT64_MIN || s.timeNs > INT64_MAX) {
    return `time_ns ${String(s.timeNs)} is not a 64-bit integer`;
  }
  for (const name in s.tags) if (typeof s.tags[name] !== "string") return `tag ${name} is not a string`;
  const values = encodeValues(s.fields);
  if (!values.ok) return values.reason;
  return {
    measurement: s.measurement,
    tagKey: TAG_KEYS.get(series, () => tagKey(s.tags)),
    tags: s.tags,
    timeNs: s.timeNs,
    names: FIELD_SETS.get(shape, () => encodeNames(s.fields)),
    values: values.values,
  };
}

/** Rows per multi-row INSERT: fewer statement calls, 5 * 64 bound parameters. */
const CHUNK = 64;
const COLUMNS = 5;

const LATEST_SQL =
  "INSERT INTO latest (series_id, time_ns, fieldset_id, vals) VALUES (?, ?, ?, ?) ON CONFLICT (series_id) DO UPDATE " +
  "SET time_ns = excluded.time_ns, fieldset_id = excluded.fieldset_id, vals = excluded.vals " +
  "WHERE excluded.time_ns >= latest.time_ns";

function insertPointsSql(rows: number): string {
  const row = "(?, ?, ?, ?, ?),";
  return "INSERT INTO points (measurement_id, time_ns, series_id, fieldset_id, vals) VALUES " + row.repeat(rows).slice(0, -1);
}

type Newest = { timeNs: bigint; fieldsetId: bigint; values: string };

/** Inserts prepared points and keeps the latest rows in step, inside a transaction its caller opened. */
export class PointWriter {
  readonly #db: DatabaseSync;
  readonly #latest: StatementSync;
  /** Multi-row point inserts by row count. */
  readonly #inserts = new Map<number, StatementSync>();
  readonly #ids: InternedIds;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#latest = db.prepare(LATEST_SQL);
    this.#ids = new InternedIds(db);
  }

  /** The transaction committed (true) or rolled back (false): interned ids staged in it become known, or are forgotten. */
  settle(committed: boolean): void {
    if (committed) this.#ids.commit();
    else this.#ids.rollback();
  }

  insert(points: readonly PreparedPoint[]): void {
    const newest = new Map<bigint, Newest>();
    for (let start = 0; start < points.length; start += CHUNK) {
      const end = Math.min(points.length, start + CHUNK);
      const params: Array<bigint | string> = new Array((end - start) * COLUMNS);
      for (let i = start, j = 0; i < end; i++, j += COLUMNS) {
        const p = points[i] as PreparedPoint;
        const seriesId = this.#ids.series(p.measurement, p.tagKey, p.tags);
        const fieldsetId = this.#ids.fieldset(p.names);
        params[j] = this.#ids.measurement(p.measurement);
        params[j + 1] = p.timeNs;
        params[j + 2] = seriesId;
        params[j + 3] = fieldsetId;
        params[j + 4] = p.values;
        const prev = newest.get(seriesId);
        if (prev === undefined || p.timeNs >= prev.timeNs) newest.set(seriesId, { timeNs: p.timeNs, fieldsetId, values: p.values });
      }
      this.#insertStatement(end - start).run(...params);
    }
    for (const [id, n] of newest) this.#latest.run(id, n.timeNs, n.fieldsetId, n.values);
  }

  #insertStatement(rows: number): StatementSync {
    let stmt = this.#inserts.get(rows);
    if (stmt === undefined) {
      stmt = this.#db.prepare(insertPointsSql(rows));
      this.#inserts.set(rows, stmt);
    }
    return stmt;
  }
}
