// The embedded store's read path: series over a time range, and newest points.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { FieldValue } from "@eastwest/common";
import { decodeFields, decodeNames, tagsMatch } from "../codec.ts";
import { parseTyped } from "../json.ts";
import type { ColumnSeries } from "../columns.ts";
import { decodeChunk, decodeChunkTyped } from "./chunk.ts";
import { Merge } from "./merge.ts";
import { MINUTE_NS, minuteOf, minutesOf } from "./rollup.ts";
import { SeriesBuilder, type Segment } from "../series-builder.ts";
import type { LatestQuery, LatestRow, Series, SeriesQuery } from "../types.ts";

const SQL = {
  seriesOf: "SELECT id, tags FROM series WHERE measurement = ? ORDER BY tag_key",
  points:
    "SELECT series_id, time_ns, fieldset_id, vals FROM points " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND time_ns BETWEEN ? AND ? " +
    "ORDER BY time_ns",
  pointsOfSeries:
    "SELECT series_id, time_ns, fieldset_id, vals FROM points " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND time_ns BETWEEN ? AND ? " +
    "AND series_id IN (SELECT value FROM json_each(?)) ORDER BY time_ns",
  latestAll:
    "SELECT s.measurement, s.tags, l.time_ns, l.fieldset_id, l.vals FROM latest l JOIN series s ON s.id = l.series_id " +
    "ORDER BY s.measurement, s.tag_key",
  latestOf:
    "SELECT s.measurement, s.tags, l.time_ns, l.fieldset_id, l.vals FROM latest l JOIN series s ON s.id = l.series_id " +
    "WHERE s.measurement = ? ORDER BY s.tag_key",
  fieldset: "SELECT names FROM fieldsets WHERE id = ?",
  chunks:
    "SELECT series_id, fieldset_id, start_ns, end_ns, data FROM chunks " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? ORDER BY start_ns",
  chunksOfSeries:
    "SELECT series_id, fieldset_id, start_ns, end_ns, data FROM chunks " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? " +
    "AND series_id IN (SELECT value FROM json_each(?)) ORDER BY start_ns",
  spans:
    "SELECT series_id, start_ns, end_ns FROM chunks " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ?",
  spansOfSeries:
    "SELECT series_id, start_ns, end_ns FROM chunks " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? " +
    "AND series_id IN (SELECT value FROM json_each(?))",
  rollups:
    "SELECT series_id, fieldset_id, start_ns, data FROM rollups " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? ORDER BY start_ns",
  rollupsOfSeries:
    "SELECT series_id, fieldset_id, start_ns, data FROM rollups " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? " +
    "AND series_id IN (SELECT value FROM json_each(?)) ORDER BY start_ns",
} as const;


export class Reader {
  readonly #db: DatabaseSync;
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  /** Field names by field set id; field sets never change once written. */
  readonly #fieldsets = new Map<bigint, string[]>();

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#stmts = {
      seriesOf: db.prepare(SQL.seriesOf),
      points: db.prepare(SQL.points),
      pointsOfSeries: db.prepare(SQL.pointsOfSeries),
      latestAll: db.prepare(SQL.latestAll),
      latestOf: db.prepare(SQL.latestOf),
      fieldset: db.prepare(SQL.fieldset),
      chunks: db.prepare(SQL.chunks),
      chunksOfSeries: db.prepare(SQL.chunksOfSeries),
      spans: db.prepare(SQL.spans),
      spansOfSeries: db.prepare(SQL.spansOfSeries),
      rollups: db.prepare(SQL.rollups),
      rollupsOfSeries: db.prepare(SQL.rollupsOfSeries),
    };
  }

  /**
   * Series in tag-key order; series without points in the range are left out. One read transaction, so that the
   * head and the chunks are read from one snapshot: a compaction thread (compact-thread.ts) that moves rows into a
   * chunk meanwhile can make no point read twice or missed.
   */
  query(q: SeriesQuery): Series[] {
    return this.#snapshot(() => this.#build(q, false).map((b) => b.finish()).filter((s) => s.values.length > 0));
  }

  /** query()'s answer as columns (../columns.ts): number columns of chunks are copied, not made value by value. */
  queryColumns(q: SeriesQuery): ColumnSeries[] {
    return this.#snapshot(() => this.#build(q, true).map((b) => b.finishColumns()).filter((s) => s.times.length > 0));
  }

  #snapshot<T>(read: () => T): T {
    if (this.#db.isTransaction) return read();
    this.#db.exec("BEGIN");
    try {
      return read();
    } finally {
      this.#db.exec("COMMIT");
    }
  }

  /** Every matching series' builder, fed; `typed`: chunks' number columns decoded typed. */
  #build(q: SeriesQuery, typed: boolean): SeriesBuilder[] {
    const builders = new Map<bigint, SeriesBuilder>();
    let total = 0;
    for (const row of this.#stmts.seriesOf.iterate(q.measurement)) {
      total++;
      const tags = JSON.parse(String(row.tags)) as Record<string, string>;
      if (!tagsMatch(tags, q.tags)) continue;
      builders.set(row.id as bigint, new SeriesBuilder(q.measurement, tags, q));
    }
    if (builders.size === 0) return [];
    const all = builders.size === total;
    const ids = all ? undefined : idList(builders.keys());
    const merge = new Merge(builders);
    // the head first: its rows in the range wait for the chunks and minutes that may come before them
    const rows = ids === undefined ? this.#stmts.points.iterate(q.measurement, q.fromNs, q.toNs) : this.#stmts.pointsOfSeries.iterate(q.measurement, q.fromNs, q.toNs, ids);
    for (const row of rows) {
      const id = row.series_id as bigint;
      if (!builders.has(id)) continue;
      const vals = parseTyped(String(row.vals)) as FieldValue[];
      merge.addRow(id, row.time_ns as bigint, { names: this.#names(row.fieldset_id as bigint), columns: vals.map((v) => [v]) });
    }
    const first = minuteOf(q.fromNs - 1n) + MINUTE_NS; // the first minute starting at or after fromNs
    const last = minuteOf(q.toNs + 1n) - MINUTE_NS; // the last minute ending at or before toNs
    if (minuteBuckets(q) && first <= last) {
      // the range's partial end minutes from the chunks (or their rollups once the points are gone), the whole
      // minutes in between from the rollups
      const covered = this.#spans(q, ids);
      this.#chunks({ ...q, toNs: clamp(first - 1n) }, ids, merge, false, typed);
      this.#edgeMinute(q, first - MINUTE_NS, ids, covered, merge);
      this.#minutes(q, first, last, ids, merge);
      this.#chunks({ ...q, fromNs: clamp(last + MINUTE_NS) }, ids, merge, false, typed);
      this.#edgeMinute(q, last + MINUTE_NS, ids, covered, merge);
    } else this.#chunks(q, ids, merge, true, typed);
    merge.finish();
    return [...builders.values()];
  }

  /** The chunks' points in the range, to the merge; `flush`: each chunk lets what waits before its start go; `typed`: decodeChunkTyped. */
  #chunks(q: SeriesQuery, ids: string | undefined, merge: Merge, flush: boolean, typed: boolean): void {
    if (q.fromNs > q.toNs) return;
    const wanted = q.fields === undefined ? undefined : new Set(q.fields);
    const rows = ids === undefined ? this.#stmts.chunks.iterate(q.measurement, q.fromNs, q.toNs) : this.#stmts.chunksOfSeries.iterate(q.measurement, q.fromNs, q.toNs, ids);
    for (const row of rows) {
      const id = row.series_id as bigint;
      if (!merge.wants(id)) continue;
      if (flush) merge.flushBefore(id, row.start_ns as bigint);
      if (!merge.wants(id)) continue;
      const names = this.#names(row.fieldset_id as bigint);
      const want = wanted === undefined ? undefined : (j: number) => wanted.has(names[j] as string);
      const { times, columns } = typed ? decodeChunkTyped(row.data as Uint8Array, want) : decodeChunk(row.data as Uint8Array, want);
      // times ascend: the points in the range are one stretch of them
      let from = 0;
      while (from < times.length && (times[from] as bigint) < q.fromNs) from++;
      let to = times.length;
      while (to > from && (times[to - 1] as bigint) > q.toNs) to--;
      merge.addPoints(id, times, { names, columns } satisfies Segment, from, to);
    }
  }

  /** The rollups' minutes from first to last (whole minutes of the range), to the merge, flushing as they come. */
  #minutes(q: SeriesQuery, first: bigint, last: bigint, ids: string | undefined, merge: Merge): void {
    const rows = ids === undefined ? this.#stmts.rollups.iterate(q.measurement, clamp(first), clamp(last)) : this.#stmts.rollupsOfSeries.iterate(q.measurement, clamp(first), clamp(last), ids);
    for (const row of rows) {
      const id = row.series_id as bigint;
      if (!merge.wants(id)) continue;
      // why: the right end's points (after last) are added after the minutes; nothing may go past them yet
      const start = row.start_ns as bigint;
      merge.flushBefore(id, start < last + MINUTE_NS ? start : last + MINUTE_NS);
      merge.addMinutes(id, minutesOf(this.#names(row.fieldset_id as bigint), decodeChunk(row.data as Uint8Array)).filter((m) => m.start >= first && m.start <= last));
    }
  }

  /** An end minute of the range whose points are gone (no chunk of its series covers it): its rollup, whole. */
  #edgeMinute(q: SeriesQuery, minute: bigint, ids: string | undefined, covered: Map<bigint, Array<[bigint, bigint]>>, merge: Merge): void {
    if (minute + MINUTE_NS <= q.fromNs || minute > q.toNs) return;
    const at = clamp(minute);
    const rows = ids === undefined ? this.#stmts.rollups.iterate(q.measurement, at, at) : this.#stmts.rollupsOfSeries.iterate(q.measurement, at, at, ids);
    for (const row of rows) {
      const id = row.series_id as bigint;
      if (!merge.wants(id)) continue;
      if ((covered.get(id) ?? []).some(([s, e]) => s < minute + MINUTE_NS && e >= minute)) continue;
      merge.addMinutes(id, minutesOf(this.#names(row.fieldset_id as bigint), decodeChunk(row.data as Uint8Array)).filter((m) => m.start === minute));
    }
  }

  /** Each series' chunk spans that reach into the range's end minutes. */
  #spans(q: SeriesQuery, ids: string | undefined): Map<bigint, Array<[bigint, bigint]>> {
    const out = new Map<bigint, Array<[bigint, bigint]>>();
    const first = minuteOf(q.fromNs);
    const last = minuteOf(q.toNs);
    for (const [from, to] of [[first, first + MINUTE_NS - 1n], [last, last + MINUTE_NS - 1n]] as const) {
      const rows = ids === undefined ? this.#stmts.spans.iterate(q.measurement, clamp(from), clamp(to)) : this.#stmts.spansOfSeries.iterate(q.measurement, clamp(from), clamp(to), ids);
      for (const row of rows) {
        const id = row.series_id as bigint;
        let list = out.get(id);
        if (list === undefined) out.set(id, (list = []));
        list.push([row.start_ns as bigint, row.end_ns as bigint]);
      }
    }
    return out;
  }

  /** Ordered by measurement, then canonical tag key. */
  latest(q: LatestQuery): LatestRow[] {
    const rows =
      q.measurement === undefined ? this.#stmts.latestAll.iterate() : this.#stmts.latestOf.iterate(q.measurement);
    const out: LatestRow[] = [];
    for (const row of rows) {
      const tags = JSON.parse(String(row.tags)) as Record<string, string>;
      if (!tagsMatch(tags, q.tags)) continue;
      out.push({
        measurement: String(row.measurement),
        tags,
        timeNs: row.time_ns as bigint,
        fields: this.#fields(row),
      });
    }
    return out;
  }

  #fields(row: Record<string, unknown>): Record<string, FieldValue> {
    return decodeFields(this.#names(row.fieldset_id as bigint), String(row.vals));
  }

  #names(id: bigint): string[] {
    let names = this.#fieldsets.get(id);
    if (names === undefined) {
      const found = this.#stmts.fieldset.get(id);
      if (found === undefined) throw new Error(`field set ${id} is missing`);
      names = decodeNames(String(found.names));
      this.#fieldsets.set(id, names);
    }
    return names;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A time SQLite can bind: the minute arithmetic near either end of int64 steps outside it. */
function clamp(t: bigint): bigint {
  return t < INT64_MIN ? INT64_MIN : t > INT64_MAX ? INT64_MAX : t;
}

/** Buckets of whole minutes: one-minute rollups can answer them. */
function minuteBuckets(q: SeriesQuery): boolean {
  return q.everyNs !== undefined && q.everyNs > 0n && q.everyNs % MINUTE_NS === 0n;
}

function idList(ids: Iterable<bigint>): string {
  return "[" + [...ids].join(",") + "]";
}
