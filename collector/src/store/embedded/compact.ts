// Compaction of the embedded store: moves points from the head (the points table, one row per point) into chunks
// (chunk.ts), one per series and field set per aligned window of WINDOW_NS, each with its one-minute rollup
// (rollup.ts). A window is compacted once it is complete
// (its end older than the cut-off the caller gives) and only as far as the point log's readers (the sinks) have read:
// rows above `floor` stay in the head, and so does the newest row of the table, so that log positions never go back
// (log.ts). A window of one measurement is planned first: one read of its rows' positions and series (the time
// index holds both), cut into slices of whole series of about SLICE_ROWS rows; each slice's rows are read by
// position and packed outside any write transaction, then one short transaction removes them and inserts their
// chunks (a fleet's window is millions of rows, and the write lock is what ingest waits for), with the event loop
// free in between; every step is
// idempotent (a point is in exactly one of the head or a chunk), so an interrupted compaction is finished by the next.
// A point that arrives for a window already compacted (an agent's resend of an old batch) stays in the head until the
// next pass puts it in a chunk of its own: a series' chunks may overlap in time, and the reader merges them.
import type { FieldValue } from "@eastwest/common";
import { decodeNames, encodeNameList } from "../codec.ts";
import { parseTyped } from "../json.ts";
import { encodeChunk } from "./chunk.ts";
import { rollupOf } from "./rollup.ts";
import { StoreError, type Compacted } from "../types.ts";
import type { Conn } from "./file.ts";
import { tx } from "./prune.ts";

/** The aligned window a chunk covers: 5 min (300 points of a 1 Hz series). */
export const WINDOW_NS = 300n * 1_000_000_000n;
/** Rows one compaction transaction moves at most (a series' rows of a window are never split: one may exceed it). */
export const SLICE_ROWS = 5_000;

const SQL = {
  measurements: "SELECT id FROM measurements ORDER BY id",
  next: "SELECT min(time_ns) AS t FROM points WHERE measurement_id = ? AND time_ns >= ?",
  top: "SELECT coalesce(max(rowid), 0) AS top FROM points",
  plan:
    "SELECT rowid AS pos, series_id FROM points INDEXED BY points_by_time " +
    "WHERE measurement_id = ? AND time_ns >= ? AND time_ns < ? AND rowid <= ?",
  rows: "SELECT rowid AS pos, series_id, fieldset_id, time_ns, vals FROM points WHERE rowid IN (SELECT value FROM json_each(?))",
  remove: "DELETE FROM points WHERE rowid IN (SELECT value FROM json_each(?))",
  insert: "INSERT INTO chunks (measurement_id, series_id, fieldset_id, start_ns, end_ns, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
  rollup: "INSERT INTO rollups (measurement_id, series_id, fieldset_id, start_ns, end_ns, data) VALUES (?, ?, ?, ?, ?, ?)",
  internFieldset: "INSERT INTO fieldsets (names) VALUES (?) ON CONFLICT DO NOTHING",
  fieldsetId: "SELECT id FROM fieldsets WHERE names = ?",
  fieldset: "SELECT names FROM fieldsets WHERE id = ?",
} as const;

/**
 * Packs every complete window that ends at or before cutoffNs, as far as floor: each measurement's windows in time
 * order, each window's slices in turn, the event loop free between slices. `run` calls a step (the caller maps its
 * errors); stops early, with what it packed so far, once `aborted` says so.
 */
export async function compactAll(run: <T>(step: (s: CompactSteps) => T) => T, cutoffNs: bigint, floor: bigint, aborted: () => boolean): Promise<Compacted> {
  const done: Compacted = { points: 0, chunks: 0 };
  for (const id of run((s) => s.measurementIds())) {
    let from = -(2n ** 63n);
    for (;;) {
      if (aborted()) return done;
      const start = run((s) => s.nextWindow(id, from, cutoffNs));
      if (start === undefined) break;
      for (const slice of run((s) => s.plan(id, start, floor))) {
        if (aborted()) return done;
        const r = run((s) => s.window(id, slice));
        done.points += r.points;
        done.chunks += r.chunks;
        if (r.commitMaxMs !== undefined) done.commitMaxMs = Math.max(done.commitMaxMs ?? 0, r.commitMaxMs);
        await new Promise<void>((res) => setImmediate(res));
      }
      from = start + WINDOW_NS;
    }
  }
  return done;
}

/** Start of the aligned window holding t. */
export function windowOf(t: bigint): bigint {
  const rem = t % WINDOW_NS;
  return rem < 0n ? t - rem - WINDOW_NS : t - rem;
}

type Row = { pos: bigint; time: bigint; vals: string };

/** A slice's rows packed outside the write transaction: the chunks to insert and the rows they replace. */
interface Packed {
  chunks: Array<{ series: bigint; fieldset: bigint; start: bigint; end: bigint; n: number; data: Uint8Array; rollup: { names: string[]; start: bigint; end: bigint; data: Uint8Array } }>;
  positions: number[];
}

export class CompactSteps {
  readonly #c: Conn;
  readonly #names = new Map<bigint, string[]>();

  readonly #beforeCommit: () => void;

  /** `beforeCommit` runs between packing a slice and taking the write lock (the compaction thread yields to ingest there). */
  constructor(c: Conn, beforeCommit: () => void = () => undefined) {
    this.#c = c;
    this.#beforeCommit = beforeCommit;
  }

  measurementIds(): bigint[] {
    return this.#c
      .stmt(SQL.measurements)
      .all()
      .map((r) => BigInt(r.id as bigint));
  }

  /**
   * The next window of the measurement at or after `from` that holds a head point and ends at or before `cutoffNs`;
   * undefined when there is none.
   */
  nextWindow(measurementId: bigint, from: bigint, cutoffNs: bigint): bigint | undefined {
    const t = this.#c.stmt(SQL.next).get(measurementId, from)?.t;
    if (t === null || t === undefined) return undefined;
    const start = windowOf(BigInt(t as bigint));
    return start + WINDOW_NS <= cutoffNs ? start : undefined;
  }

  /**
   * The window's head rows at or below floor (and below the newest row, so that log positions never go back), as
   * slices of whole series in id order of about `maxRows` rows each: each slice the rows' positions.
   */
  plan(measurementId: bigint, start: bigint, floor: bigint, maxRows = SLICE_ROWS): number[][] {
    const bySeries = new Map<bigint, number[]>();
    for (const r of this.#c.stmt(SQL.plan).iterate(measurementId, start, start + WINDOW_NS, this.#upTo(floor))) {
      const id = r.series_id as bigint;
      let rows = bySeries.get(id);
      if (rows === undefined) bySeries.set(id, (rows = []));
      rows.push(Number(r.pos as bigint));
    }
    const out: number[][] = [];
    let cur: number[] = [];
    for (const id of [...bySeries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const rows = bySeries.get(id) as number[];
      if (cur.length > 0 && cur.length + rows.length > maxRows) (out.push(cur), (cur = []));
      for (const pos of rows) cur.push(pos);
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  /**
   * Moves the head rows at these positions (one slice of plan()) into chunks; positions already gone (pruned
   * meanwhile) are skipped. The rows are read and packed first, outside any write transaction; the transaction
   * then only removes them and inserts the chunks, so the file's write lock (which ingest waits for) is held for
   * the least time. Rows that vanished between the read and the transaction roll it back (retryable: the next
   * pass plans again).
   */
  window(measurementId: bigint, positions: readonly number[]): Compacted {
    const db = this.#c.db;
    const packed = this.#pack(JSON.stringify(positions));
    this.#beforeCommit();
    // why: a compaction commit need not reach the disk at once: lost in a crash, its points are still rows in the
    // head (one transaction moves them), and the next ingest commit (synchronous=FULL) syncs the WAL it shares
    db.exec("PRAGMA synchronous = NORMAL");
    let locked = 0;
    try {
      // why: timed from the lock taken (BEGIN IMMEDIATE may first wait for an ingest commit) to the commit done.
      const r = tx(db, () => ((locked = performance.now()), this.#commit(measurementId, packed)));
      return { ...r, commitMaxMs: Math.round(performance.now() - locked) };
    } finally {
      db.exec("PRAGMA synchronous = FULL");
    }
  }

  #upTo(floor: bigint): bigint {
    const top = BigInt(this.#c.stmt(SQL.top).get()?.top as bigint);
    return floor < top ? floor : top - 1n;
  }

  /** Reads the rows at `positions` (a JSON array) and packs each series and field set's into a chunk and its rollup. */
  #pack(positions: string): Packed {
    const groups = new Map<string, { series: bigint; fieldset: bigint; rows: Row[] }>();
    for (const r of this.#c.stmt(SQL.rows).iterate(positions)) {
      const key = `${r.series_id as bigint}/${r.fieldset_id as bigint}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { series: r.series_id as bigint, fieldset: r.fieldset_id as bigint, rows: [] }));
      g.rows.push({ pos: r.pos as bigint, time: r.time_ns as bigint, vals: String(r.vals) });
    }
    const out: Packed = { chunks: [], positions: [] };
    for (const g of groups.values()) {
      g.rows.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.pos < b.pos ? -1 : 1));
      const names = this.#namesOf(g.fieldset);
      const columns: FieldValue[][] = names.map(() => new Array<FieldValue>(g.rows.length));
      for (let i = 0; i < g.rows.length; i++) {
        const vals = parseTyped((g.rows[i] as Row).vals) as FieldValue[];
        if (vals.length !== names.length) throw new Error(`compaction: a point of series ${g.series} has ${vals.length} values for ${names.length} fields`);
        for (let j = 0; j < names.length; j++) (columns[j] as FieldValue[])[i] = vals[j] as FieldValue;
      }
      const times = g.rows.map((r) => r.time);
      const r = rollupOf(names, { times, columns });
      const minutes = r.chunk.times;
      out.chunks.push({
        series: g.series, fieldset: g.fieldset, start: times[0] as bigint, end: times[times.length - 1] as bigint, n: times.length, data: encodeChunk({ times, columns }),
        rollup: { names: r.names, start: minutes[0] as bigint, end: minutes[minutes.length - 1] as bigint, data: encodeChunk(r.chunk) },
      });
      for (const row of g.rows) out.positions.push(Number(row.pos));
    }
    return out;
  }

  /** Inside the write transaction: removes the packed rows (all of them, or nothing) and inserts their chunks. */
  #commit(measurementId: bigint, p: Packed): Compacted {
    const removed = Number(this.#c.stmt(SQL.remove).run(JSON.stringify(p.positions)).changes);
    if (removed !== p.positions.length) throw new StoreError(`compaction: ${p.positions.length} points packed but ${removed} rows left to remove (pruned meanwhile); planned again next pass`, true);
    const insert = this.#c.stmt(SQL.insert);
    const rollup = this.#c.stmt(SQL.rollup);
    for (const c of p.chunks) {
      insert.run(measurementId, c.series, c.fieldset, c.start, c.end, c.n, c.data);
      rollup.run(measurementId, c.series, this.#fieldsetOf(c.rollup.names), c.rollup.start, c.rollup.end, c.rollup.data);
    }
    return { points: p.positions.length, chunks: p.chunks.length };
  }

  /** The id of a field set (a rollup's column names), added when new. */
  #fieldsetOf(names: readonly string[]): bigint {
    const text = encodeNameList(names);
    this.#c.stmt(SQL.internFieldset).run(text);
    return BigInt(this.#c.stmt(SQL.fieldsetId).get(text)?.id as bigint);
  }

  #namesOf(id: bigint): string[] {
    let names = this.#names.get(id);
    if (names === undefined) {
      const row = this.#c.stmt(SQL.fieldset).get(id);
      if (row === undefined) throw new Error(`field set ${id} is missing`);
      names = decodeNames(String(row.names));
      this.#names.set(id, names);
    }
    return names;
  }
}
