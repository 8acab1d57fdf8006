// The embedded store's write path: one transaction per batch, idempotent on
// (agent_id, seq). Synchronous: nothing else runs between BEGIN and COMMIT.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Sample } from "@eastwest/common";
import { encodeFields, INT64_MAX, INT64_MIN, sortedTagsJson, tagKey } from "./codec.ts";
import { retryableOutcome } from "./sqlite-errors.ts";
import type { StoredBatch, WriteOutcome } from "./types.ts";

/** One point, ready for the points table. */
interface PreparedPoint {
  measurement: string;
  /** measurement + "\n" + tag key: the series cache key. */
  seriesKey: string;
  tagKey: string;
  tags: Record<string, string>;
  timeNs: bigint;
  fields: string;
}

type Prepared = { ok: true; points: PreparedPoint[] } | { ok: false; reason: string };

/** Checks that a batch can be stored and encodes it. Pure. */
export function prepareBatch(b: StoredBatch): Prepared {
  if (typeof b.agentId !== "string" || b.agentId === "") return { ok: false, reason: "agent_id is empty" };
  if (typeof b.seq !== "bigint" || b.seq < 1n || b.seq > INT64_MAX) {
    return { ok: false, reason: `seq ${String(b.seq)} is outside 1..2^63-1` };
  }
  if (typeof b.receivedNs !== "bigint" || b.receivedNs < INT64_MIN || b.receivedNs > INT64_MAX) {
    return { ok: false, reason: `received_ns ${String(b.receivedNs)} is not a 64-bit integer` };
  }
  const points: PreparedPoint[] = new Array(b.points.length);
  for (let i = 0; i < b.points.length; i++) {
    const p = preparePoint(b.points[i] as Sample);
    if (typeof p === "string") return { ok: false, reason: `point ${i}: ${p}` };
    points[i] = p;
  }
  return { ok: true, points };
}

function preparePoint(s: Sample): PreparedPoint | string {
  if (typeof s.measurement !== "string" || s.measurement === "") return "measurement is empty";
  if (typeof s.timeNs !== "bigint" || s.timeNs < INT64_MIN || s.timeNs > INT64_MAX) {
    return `time_ns ${String(s.timeNs)} is not a 64-bit integer`;
  }
  for (const name in s.tags) if (typeof s.tags[name] !== "string") return `tag ${name} is not a string`;
  const fields = encodeFields(s.fields);
  if (!fields.ok) return fields.reason;
  const key = tagKey(s.tags);
  return {
    measurement: s.measurement,
    seriesKey: s.measurement + "\n" + key,
    tagKey: key,
    tags: s.tags,
    timeNs: s.timeNs,
    fields: fields.text,
  };
}

/** Rows per multi-row INSERT: fewer statement calls, 4 * 64 bound parameters. */
const CHUNK = 64;

const SQL = {
  batch: "INSERT INTO batches (agent_id, seq, received_ns, points) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  measurement: "INSERT INTO measurements (name) VALUES (?)",
  series: "INSERT INTO series (measurement, tag_key, tags) VALUES (?, ?, ?)",
  latest:
    "INSERT INTO latest (series_id, time_ns, fields) VALUES (?, ?, ?) ON CONFLICT (series_id) DO UPDATE " +
    "SET time_ns = excluded.time_ns, fields = excluded.fields WHERE excluded.time_ns >= latest.time_ns",
} as const;

function insertPointsSql(rows: number): string {
  return "INSERT INTO points (measurement_id, time_ns, series_id, fields) VALUES " + "(?, ?, ?, ?),".repeat(rows).slice(0, -1);
}

/** Ids created inside the current transaction; they join the caches only after COMMIT. */
interface Created {
  measurements: Map<string, bigint>;
  series: Map<string, bigint>;
}

export class BatchWriter {
  readonly #db: DatabaseSync;
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  /** Multi-row point inserts by row count. */
  readonly #inserts = new Map<number, StatementSync>();
  readonly #measurements = new Map<string, bigint>();
  readonly #series = new Map<string, bigint>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#stmts = {
      batch: db.prepare(SQL.batch),
      measurement: db.prepare(SQL.measurement),
      series: db.prepare(SQL.series),
      latest: db.prepare(SQL.latest),
    };
    for (const row of db.prepare("SELECT id, name FROM measurements").iterate()) {
      this.#measurements.set(String(row.name), row.id as bigint);
    }
    for (const row of db.prepare("SELECT id, measurement, tag_key FROM series").iterate()) {
      this.#series.set(`${String(row.measurement)}\n${String(row.tag_key)}`, row.id as bigint);
    }
  }

  write(b: StoredBatch): WriteOutcome {
    const prepared = prepareBatch(b);
    if (!prepared.ok) return { kind: "rejected", reason: prepared.reason };
    const created: Created = { measurements: new Map(), series: new Map() };
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      const res = this.#stmts.batch.run(b.agentId, b.seq, b.receivedNs, prepared.points.length);
      if (Number(res.changes) === 0) {
        this.#db.exec("ROLLBACK");
        return { kind: "duplicate" };
      }
      this.#insertPoints(prepared.points, created);
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#rollback();
      return retryableOutcome(err);
    }
    for (const [name, id] of created.measurements) this.#measurements.set(name, id);
    for (const [key, id] of created.series) this.#series.set(key, id);
    return { kind: "ok", stored: prepared.points.length };
  }

  #insertPoints(points: PreparedPoint[], created: Created): void {
    const newest = new Map<bigint, PreparedPoint>();
    for (let start = 0; start < points.length; start += CHUNK) {
      const end = Math.min(points.length, start + CHUNK);
      const params: Array<bigint | string> = new Array((end - start) * 4);
      for (let i = start, j = 0; i < end; i++, j += 4) {
        const p = points[i] as PreparedPoint;
        const seriesId = this.#seriesId(p, created);
        params[j] = this.#measurementId(p.measurement, created);
        params[j + 1] = p.timeNs;
        params[j + 2] = seriesId;
        params[j + 3] = p.fields;
        const prev = newest.get(seriesId);
        if (prev === undefined || p.timeNs >= prev.timeNs) newest.set(seriesId, p);
      }
      this.#insertStatement(end - start).run(...params);
    }
    for (const [id, p] of newest) this.#stmts.latest.run(id, p.timeNs, p.fields);
  }

  #insertStatement(rows: number): StatementSync {
    let stmt = this.#inserts.get(rows);
    if (stmt === undefined) {
      stmt = this.#db.prepare(insertPointsSql(rows));
      this.#inserts.set(rows, stmt);
    }
    return stmt;
  }

  #measurementId(name: string, created: Created): bigint {
    const known = this.#measurements.get(name) ?? created.measurements.get(name);
    if (known !== undefined) return known;
    const id = BigInt(this.#stmts.measurement.run(name).lastInsertRowid);
    created.measurements.set(name, id);
    return id;
  }

  #seriesId(p: PreparedPoint, created: Created): bigint {
    const known = this.#series.get(p.seriesKey) ?? created.series.get(p.seriesKey);
    if (known !== undefined) return known;
    const id = BigInt(this.#stmts.series.run(p.measurement, p.tagKey, sortedTagsJson(p.tags)).lastInsertRowid);
    created.series.set(p.seriesKey, id);
    return id;
  }

  #rollback(): void {
    try {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } catch {
      // why: SQLite may already have rolled back (e.g. after SQLITE_FULL); the
      // original error is what the caller reports.
    }
  }
}
