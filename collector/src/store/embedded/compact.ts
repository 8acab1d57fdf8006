// Compaction of the embedded store: moves points from the head (the points table, one row per point) into chunks
// (chunk.ts), one per series and field set per aligned window of WINDOW_NS, each with its one-minute rollup
// (rollup.ts). A window is compacted once it is complete
// (its end older than the cut-off the caller gives) and only as far as the point log's readers (the sinks) have read:
// rows above `floor` stay in the head, and so does the newest row of the table, so that log positions never go back
// (log.ts). One window of one measurement per transaction, with the event loop free in between; every step is
// idempotent (a point is in exactly one of the head or a chunk), so an interrupted compaction is finished by the next.
// A point that arrives for a window already compacted (an agent's resend of an old batch) stays in the head until the
// next pass puts it in a chunk of its own: a series' chunks may overlap in time, and the reader merges them.
import type { FieldValue } from "@eastwest/common";
import { decodeNames } from "../codec.ts";
import { parseTyped } from "../json.ts";
import { encodeChunk } from "./chunk.ts";
import { rollupOf } from "./rollup.ts";
import type { Compacted } from "../types.ts";
import type { Conn } from "./file.ts";
import { tx } from "./prune.ts";

/** The aligned window a chunk covers: 5 min (300 points of a 1 Hz series). */
export const WINDOW_NS = 300n * 1_000_000_000n;

const SQL = {
  measurements: "SELECT id FROM measurements ORDER BY id",
  next: "SELECT min(time_ns) AS t FROM points WHERE measurement_id = ? AND time_ns >= ?",
  top: "SELECT coalesce(max(rowid), 0) AS top FROM points",
  rows:
    "SELECT rowid AS pos, series_id, fieldset_id, time_ns, vals FROM points " +
    "WHERE measurement_id = ? AND time_ns >= ? AND time_ns < ? AND rowid <= ?",
  remove: "DELETE FROM points WHERE measurement_id = ? AND time_ns >= ? AND time_ns < ? AND rowid <= ?",
  insert: "INSERT INTO chunks (measurement_id, series_id, fieldset_id, start_ns, end_ns, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
  rollup: "INSERT INTO rollups (measurement_id, series_id, fieldset_id, start_ns, end_ns, data) VALUES (?, ?, ?, ?, ?, ?)",
  internFieldset: "INSERT INTO fieldsets (names) VALUES (?) ON CONFLICT DO NOTHING",
  fieldsetId: "SELECT id FROM fieldsets WHERE names = ?",
  fieldset: "SELECT names FROM fieldsets WHERE id = ?",
} as const;

/** Start of the aligned window holding t. */
export function windowOf(t: bigint): bigint {
  const rem = t % WINDOW_NS;
  return rem < 0n ? t - rem - WINDOW_NS : t - rem;
}

type Row = { pos: bigint; time: bigint; vals: string };

export class CompactSteps {
  readonly #c: Conn;
  readonly #names = new Map<bigint, string[]>();

  constructor(c: Conn) {
    this.#c = c;
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

  /** Moves the window's head points with positions at or below floor (and below the newest row) into chunks, in one transaction. */
  window(measurementId: bigint, start: bigint, floor: bigint): Compacted {
    const db = this.#c.db;
    // why: a compaction commit need not reach the disk at once: lost in a crash, its points are still rows in the
    // head (one transaction moves them), and the next ingest commit (synchronous=FULL) syncs the WAL it shares
    db.exec("PRAGMA synchronous = NORMAL");
    try {
      return this.#window(measurementId, start, floor);
    } finally {
      db.exec("PRAGMA synchronous = FULL");
    }
  }

  #window(measurementId: bigint, start: bigint, floor: bigint): Compacted {
    const db = this.#c.db;
    return tx(db, () => {
      const top = BigInt(this.#c.stmt(SQL.top).get()?.top as bigint);
      const upTo = floor < top ? floor : top - 1n;
      const end = start + WINDOW_NS;
      const groups = new Map<string, { series: bigint; fieldset: bigint; rows: Row[] }>();
      for (const r of this.#c.stmt(SQL.rows).iterate(measurementId, start, end, upTo)) {
        const key = `${r.series_id as bigint}/${r.fieldset_id as bigint}`;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = { series: r.series_id as bigint, fieldset: r.fieldset_id as bigint, rows: [] }));
        g.rows.push({ pos: r.pos as bigint, time: r.time_ns as bigint, vals: String(r.vals) });
      }
      const done: Compacted = { points: 0, chunks: 0 };
      const insert = this.#c.stmt(SQL.insert);
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
        const data = encodeChunk({ times, columns });
        insert.run(measurementId, g.series, g.fieldset, times[0] as bigint, times[times.length - 1] as bigint, times.length, data);
        const r = rollupOf(names, { times, columns });
        const minutes = r.chunk.times;
        this.#c.stmt(SQL.rollup).run(measurementId, g.series, this.#fieldsetOf(r.names), minutes[0] as bigint, minutes[minutes.length - 1] as bigint, encodeChunk(r.chunk));
        done.points += times.length;
        done.chunks++;
      }
      const removed = Number(this.#c.stmt(SQL.remove).run(measurementId, start, end, upTo).changes);
      if (removed !== done.points) throw new Error(`compaction: ${done.points} points packed but ${removed} rows removed`);
      return done;
    });
  }

  /** The id of a field set (a rollup's column names), added when new. */
  #fieldsetOf(names: readonly string[]): bigint {
    const text = JSON.stringify(names);
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
