// The embedded store's read path: series over a time range, and newest points.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { FieldValue } from "@eastwest/common";
import { decodeFields, decodeNames, tagsMatch } from "../codec.ts";
import { parseTyped } from "../json.ts";
import { decodeChunk } from "./chunk.ts";
import { MINUTE_NS, minuteOf, minutesOf } from "./rollup.ts";
import { SeriesBuilder, type Minute, type Segment } from "../series-builder.ts";
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
  rollups:
    "SELECT series_id, fieldset_id, data FROM rollups " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? ORDER BY start_ns",
  rollupsOfSeries:
    "SELECT series_id, fieldset_id, data FROM rollups " +
    "WHERE measurement_id = (SELECT id FROM measurements WHERE name = ?) AND end_ns >= ? AND start_ns <= ? " +
    "AND series_id IN (SELECT value FROM json_each(?)) ORDER BY start_ns",
} as const;

/** A point of a series (the i-th of a segment: a chunk's columns, or a head row's values), or a rollup's minute. */
type Point = { timeNs: bigint; seg: Segment; i: number; minute?: undefined } | { timeNs: bigint; minute: Minute };

export class Reader {
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  /** Field names by field set id; field sets never change once written. */
  readonly #fieldsets = new Map<bigint, string[]>();

  constructor(db: DatabaseSync) {
    this.#stmts = {
      seriesOf: db.prepare(SQL.seriesOf),
      points: db.prepare(SQL.points),
      pointsOfSeries: db.prepare(SQL.pointsOfSeries),
      latestAll: db.prepare(SQL.latestAll),
      latestOf: db.prepare(SQL.latestOf),
      fieldset: db.prepare(SQL.fieldset),
      chunks: db.prepare(SQL.chunks),
      chunksOfSeries: db.prepare(SQL.chunksOfSeries),
      rollups: db.prepare(SQL.rollups),
      rollupsOfSeries: db.prepare(SQL.rollupsOfSeries),
    };
  }

  /** Series in tag-key order; series without points in the range are left out. */
  query(q: SeriesQuery): Series[] {
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
    const packed = minuteBuckets(q) ? this.#rolled(q, builders, all) : this.#packed(q, builders, all);
    const rows = all
      ? this.#stmts.points.iterate(q.measurement, q.fromNs, q.toNs)
      : this.#stmts.pointsOfSeries.iterate(q.measurement, q.fromNs, q.toNs, idList(builders.keys()));
    if (packed.size === 0) {
      // the head alone: points stream into the builders in time order
      let open = builders.size;
      for (const row of rows) {
        const builder = builders.get(row.series_id as bigint);
        if (builder === undefined || builder.full) continue;
        builder.add(row.time_ns as bigint, this.#fields(row));
        if (builder.full && --open === 0) break;
      }
    } else {
      // chunks and head: each series' points merged in time order (a stable sort keeps a chunk's ties in its order)
      for (const row of rows) {
        const id = row.series_id as bigint;
        if (!builders.has(id)) continue;
        let list = packed.get(id);
        if (list === undefined) packed.set(id, (list = []));
        const names = this.#names(row.fieldset_id as bigint);
        const vals = parseTyped(String(row.vals)) as FieldValue[];
        list.push({ timeNs: row.time_ns as bigint, seg: { names, columns: vals.map((v) => [v]) }, i: 0 });
      }
      for (const [id, list] of packed) {
        const builder = builders.get(id) as SeriesBuilder;
        list.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
        for (const p of list) {
          if (p.minute === undefined) builder.addAt(p.timeNs, p.seg, p.i);
          else builder.addMinute(p.minute);
          if (builder.full) break;
        }
      }
    }
    const out: Series[] = [];
    for (const builder of builders.values()) {
      const s = builder.finish();
      if (s.values.length > 0) out.push(s);
    }
    return out;
  }

  /**
   * For buckets of whole minutes: the rollups' minutes that lie wholly in the range, and the chunks' points in the
   * range's partial minutes at either end, by series id. An end minute whose points are gone (raw retention) comes
   * from its rollup whole.
   */
  #rolled(q: SeriesQuery, builders: ReadonlyMap<bigint, SeriesBuilder>, all: boolean): Map<bigint, Point[]> {
    const first = minuteOf(q.fromNs - 1n) + MINUTE_NS; // the first minute starting at or after fromNs
    const last = minuteOf(q.toNs + 1n) - MINUTE_NS; // the last minute ending at or before toNs
    if (first > last) return this.#packed(q, builders, all);
    const covered = new Map<bigint, Array<[bigint, bigint]>>();
    const out = this.#packed({ ...q, toNs: first - 1n }, builders, all, new Map(), covered);
    this.#packed({ ...q, fromNs: last + MINUTE_NS }, builders, all, out, covered);
    const rows = all
      ? this.#stmts.rollups.iterate(q.measurement, q.fromNs - MINUTE_NS, q.toNs)
      : this.#stmts.rollupsOfSeries.iterate(q.measurement, q.fromNs - MINUTE_NS, q.toNs, idList(builders.keys()));
    for (const row of rows) {
      const id = row.series_id as bigint;
      if (!builders.has(id)) continue;
      for (const m of minutesOf(this.#names(row.fieldset_id as bigint), decodeChunk(row.data as Uint8Array))) {
        const inside = m.start >= first && m.start <= last;
        const end = m.start < first ? m.start + MINUTE_NS > q.fromNs : m.start <= q.toNs;
        const raw = (covered.get(id) ?? []).some(([s, e]) => s < m.start + MINUTE_NS && e >= m.start);
        if (!inside && !(end && !raw)) continue;
        let list = out.get(id);
        if (list === undefined) out.set(id, (list = []));
        list.push({ timeNs: m.lastNs, minute: m });
      }
    }
    return out;
  }

  /**
   * The points of the query's range held in chunks, by series id, added to `out`; `covered` (when given) gets each
   * series' chunk spans that intersect the range.
   */
  #packed(q: SeriesQuery, builders: ReadonlyMap<bigint, SeriesBuilder>, all: boolean, out = new Map<bigint, Point[]>(), covered?: Map<bigint, Array<[bigint, bigint]>>): Map<bigint, Point[]> {
    if (q.fromNs > q.toNs) return out;
    const wanted = q.fields === undefined ? undefined : new Set(q.fields);
    const rows = all
      ? this.#stmts.chunks.iterate(q.measurement, q.fromNs, q.toNs)
      : this.#stmts.chunksOfSeries.iterate(q.measurement, q.fromNs, q.toNs, idList(builders.keys()));
    for (const row of rows) {
      if (covered !== undefined) {
        const id = row.series_id as bigint;
        let spans = covered.get(id);
        if (spans === undefined) covered.set(id, (spans = []));
        spans.push([row.start_ns as bigint, row.end_ns as bigint]);
      }
      const id = row.series_id as bigint;
      if (!builders.has(id)) continue;
      const names = this.#names(row.fieldset_id as bigint);
      const { times, columns } = decodeChunk(row.data as Uint8Array, wanted === undefined ? undefined : (j) => wanted.has(names[j] as string));
      const seg: Segment = { names, columns };
      let list = out.get(id);
      if (list === undefined) out.set(id, (list = []));
      for (let i = 0; i < times.length; i++) {
        const t = times[i] as bigint;
        if (t >= q.fromNs && t <= q.toNs) list.push({ timeNs: t, seg, i });
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

/** Buckets of whole minutes: one-minute rollups can answer them. */
function minuteBuckets(q: SeriesQuery): boolean {
  return q.everyNs !== undefined && q.everyNs > 0n && q.everyNs % MINUTE_NS === 0n;
}

function idList(ids: Iterable<bigint>): string {
  return "[" + [...ids].join(",") + "]";
}
