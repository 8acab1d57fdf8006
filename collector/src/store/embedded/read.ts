// The embedded store's read path: series over a time range, and newest points.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { FieldValue } from "@eastwest/common";
import { decodeFields, decodeNames, tagsMatch } from "../codec.ts";
import { SeriesBuilder } from "../series-builder.ts";
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
} as const;

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
    const rows =
      builders.size === total
        ? this.#stmts.points.iterate(q.measurement, q.fromNs, q.toNs)
        : this.#stmts.pointsOfSeries.iterate(q.measurement, q.fromNs, q.toNs, idList(builders.keys()));
    let open = builders.size;
    for (const row of rows) {
      const builder = builders.get(row.series_id as bigint);
      if (builder === undefined || builder.full) continue;
      builder.add(row.time_ns as bigint, this.#fields(row));
      if (builder.full && --open === 0) break;
    }
    const out: Series[] = [];
    for (const builder of builders.values()) {
      const s = builder.finish();
      if (s.values.length > 0) out.push(s);
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
    const id = row.fieldset_id as bigint;
    let names = this.#fieldsets.get(id);
    if (names === undefined) {
      const found = this.#stmts.fieldset.get(id);
      if (found === undefined) throw new Error(`field set ${id} is missing`);
      names = decodeNames(String(found.names));
      this.#fieldsets.set(id, names);
    }
    return decodeFields(names, String(row.vals));
  }
}

function idList(ids: Iterable<bigint>): string {
  return "[" + [...ids].join(",") + "]";
}
