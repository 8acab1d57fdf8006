// The embedded file's point log (../point-log.ts): the points table read by row id. SQLite gives a new row
// max(rowid) + 1, so row ids grow with every commit; they could be reused only if retention removed the newest
// row of the table (no point stored for store.retentionDays), which the sink cursor detects (head below it).
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { decodeFields, decodeNames } from "../codec.ts";
import type { LogPoint } from "../point-log.ts";

const SQL = {
  after:
    "SELECT p.rowid AS pos, m.name AS measurement, p.series_id, p.time_ns, p.fieldset_id, p.vals FROM points p " +
    "JOIN measurements m ON m.id = p.measurement_id WHERE p.rowid > ? AND p.rowid <= ? ORDER BY p.rowid LIMIT ?",
  head: "SELECT coalesce(max(rowid), 0) AS head FROM points",
  series: "SELECT tags FROM series WHERE id = ?",
  fieldset: "SELECT names FROM fieldsets WHERE id = ?",
} as const;

const MAX_CACHED = 100_000;
const INT64_MAX = 2n ** 63n - 1n;

export class LogReader {
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  /** Tags by series id and names by field set id: both never change once written. */
  readonly #tags = new Map<bigint, Readonly<Record<string, string>>>();
  readonly #names = new Map<bigint, string[]>();

  constructor(db: DatabaseSync) {
    this.#stmts = {
      after: db.prepare(SQL.after),
      head: db.prepare(SQL.head),
      series: db.prepare(SQL.series),
      fieldset: db.prepare(SQL.fieldset),
    };
  }

  readAfter(after: bigint, limit: number, upTo = INT64_MAX): LogPoint[] {
    const out: LogPoint[] = [];
    for (const row of this.#stmts.after.iterate(after, upTo, limit)) {
      out.push({
        pos: row.pos as bigint,
        measurement: String(row.measurement),
        tags: this.#tagsOf(row.series_id as bigint),
        timeNs: row.time_ns as bigint,
        fields: decodeFields(this.#namesOf(row.fieldset_id as bigint), String(row.vals)),
      });
    }
    return out;
  }

  head(): bigint {
    return (this.#stmts.head.get() as { head: bigint }).head;
  }

  #tagsOf(id: bigint): Readonly<Record<string, string>> {
    let tags = this.#tags.get(id);
    if (tags === undefined) {
      const row = this.#stmts.series.get(id);
      if (row === undefined) throw new Error(`series ${id} is missing`);
      tags = JSON.parse(String(row.tags)) as Record<string, string>;
      if (this.#tags.size >= MAX_CACHED) this.#tags.clear();
      this.#tags.set(id, tags);
    }
    return tags;
  }

  #namesOf(id: bigint): string[] {
    let names = this.#names.get(id);
    if (names === undefined) {
      const row = this.#stmts.fieldset.get(id);
      if (row === undefined) throw new Error(`field set ${id} is missing`);
      names = decodeNames(String(row.names));
      if (this.#names.size >= MAX_CACHED) this.#names.clear();
      this.#names.set(id, names);
    }
    return names;
  }
}
