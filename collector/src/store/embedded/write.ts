// The embedded store's write path: one transaction per batch, idempotent on
// (agent_id, seq). Synchronous: nothing else runs between BEGIN and COMMIT.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Sample } from "@eastwest/common";
import { encodeNames, encodeValues, INT64_MAX, INT64_MIN, tagKey } from "../codec.ts";
import { InternedIds } from "./ids.ts";
import { retryableOutcome } from "./sqlite-errors.ts";
import type { StoredBatch, WriteOutcome } from "../types.ts";

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

export type Prepared = { ok: true; points: PreparedPoint[] } | { ok: false; reason: string };

/** A batch already encoded by prepareBatch. */
interface PreparedBatch {
  agentId: string;
  seq: bigint;
  receivedNs: bigint;
  prepared: Prepared;
}

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

/** Checks that a batch can be stored and encodes it. Pure but for the caches above. */
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

const SQL = {
  batch: "INSERT INTO batches (agent_id, seq, received_ns, points) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  latest:
    "INSERT INTO latest (series_id, time_ns, fieldset_id, vals) VALUES (?, ?, ?, ?) ON CONFLICT (series_id) DO UPDATE " +
    "SET time_ns = excluded.time_ns, fieldset_id = excluded.fieldset_id, vals = excluded.vals " +
    "WHERE excluded.time_ns >= latest.time_ns",
} as const;

function insertPointsSql(rows: number): string {
  const row = "(?, ?, ?, ?, ?),";
  return "INSERT INTO points (measurement_id, time_ns, series_id, fieldset_id, vals) VALUES " + row.repeat(rows).slice(0, -1);
}

type Newest = { timeNs: bigint; fieldsetId: bigint; values: string };

export class BatchWriter {
  readonly #db: DatabaseSync;
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  /** Multi-row point inserts by row count. */
  readonly #inserts = new Map<number, StatementSync>();
  readonly #ids: InternedIds;
  /** Per agent, the highest seq retention removed (the pruned table): at or below it, a batch is a duplicate. */
  readonly #pruned = new Map<string, bigint>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#stmts = { batch: db.prepare(SQL.batch), latest: db.prepare(SQL.latest) };
    this.#ids = new InternedIds(db);
    for (const row of db.prepare("SELECT agent_id, through_seq FROM pruned").iterate()) this.#pruned.set(String(row.agent_id), BigInt(row.through_seq as bigint));
  }

  /** Retention committed the removal of the agent's batch rows up to seq. */
  pruned(agentId: string, throughSeq: bigint): void {
    if (throughSeq > (this.#pruned.get(agentId) ?? 0n)) this.#pruned.set(agentId, throughSeq);
  }

  #wasPruned(b: { agentId: string; seq: bigint }): boolean {
    const through = this.#pruned.get(b.agentId);
    return through !== undefined && b.seq <= through;
  }

  write(b: StoredBatch): WriteOutcome {
    const prepared = prepareBatch(b);
    if (!prepared.ok) return { kind: "rejected", reason: prepared.reason };
    if (this.#wasPruned(b)) return { kind: "duplicate" };
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      const res = this.#stmts.batch.run(b.agentId, b.seq, b.receivedNs, prepared.points.length);
      if (Number(res.changes) === 0) {
        this.#db.exec("ROLLBACK");
        return { kind: "duplicate" };
      }
      this.#insertPoints(prepared.points);
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#rollback();
      return retryableOutcome(err);
    }
    this.#ids.commit();
    return { kind: "ok", stored: prepared.points.length };
  }

  /**
   * Group commit: several batches in one transaction (one fsync), each still idempotent on
   * (agent_id, seq). Invalid batches are rejected alone; a store error makes every batch retryable.
   */
  writeMany(batches: readonly StoredBatch[]): WriteOutcome[] {
    return this.writePrepared(batches.map((b) => ({ agentId: b.agentId, seq: b.seq, receivedNs: b.receivedNs, prepared: prepareBatch(b) })));
  }

  writePrepared(batches: readonly PreparedBatch[]): WriteOutcome[] {
    const prepared = batches.map((b) => b.prepared);
    const out: WriteOutcome[] = prepared.map((p) => (p.ok ? { kind: "ok", stored: p.points.length } : { kind: "rejected", reason: p.reason }));
    if (out.every((o) => o.kind === "rejected")) return out;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      batches.forEach((b, i) => {
        const p = prepared[i];
        if (!p?.ok) return;
        if (this.#wasPruned(b)) return void (out[i] = { kind: "duplicate" });
        const res = this.#stmts.batch.run(b.agentId, b.seq, b.receivedNs, p.points.length);
        if (Number(res.changes) === 0) out[i] = { kind: "duplicate" };
        else this.#insertPoints(p.points);
      });
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#rollback();
      const retry = retryableOutcome(err);
      return prepared.map((p, i) => (p.ok ? retry : (out[i] as WriteOutcome)));
    }
    this.#ids.commit();
    return out;
  }

  #insertPoints(points: PreparedPoint[]): void {
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
    for (const [id, n] of newest) this.#stmts.latest.run(id, n.timeNs, n.fieldsetId, n.values);
  }

  #insertStatement(rows: number): StatementSync {
    let stmt = this.#inserts.get(rows);
    if (stmt === undefined) {
      stmt = this.#db.prepare(insertPointsSql(rows));
      this.#inserts.set(rows, stmt);
    }
    return stmt;
  }

  #rollback(): void {
    this.#ids.rollback();
    try {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } catch {
      // why: SQLite may already have rolled back (e.g. after SQLITE_FULL); the
      // original error is what the caller reports.
    }
  }
}
