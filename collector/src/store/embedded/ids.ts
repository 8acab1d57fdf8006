// Interned names of the embedded store: measurements, series and field sets,
// each a small table mapping text to a stable integer id, cached in memory.
// Ids created inside a transaction are staged and join the cache only on
// commit(), so a rolled-back batch never leaves a dangling id behind.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { sortedTagsJson } from "../codec.ts";

/** ids by (scope, key); scope is "" where a key stands alone. */
class Dictionary {
  readonly #byScope = new Map<string, Map<string, bigint>>();

  get(scope: string, key: string): bigint | undefined {
    return this.#byScope.get(scope)?.get(key);
  }

  set(scope: string, key: string, id: bigint): void {
    let m = this.#byScope.get(scope);
    if (m === undefined) this.#byScope.set(scope, (m = new Map()));
    m.set(key, id);
  }

  addAll(other: Dictionary): void {
    for (const [scope, m] of other.#byScope) for (const [key, id] of m) this.set(scope, key, id);
  }

  clear(): void {
    this.#byScope.clear();
  }
}

// why: another connection (a second collector on the same file) may have interned the same key since this
// cache was loaded; the insert then does nothing and the id is read back.
const SQL = {
  measurement: "INSERT INTO measurements (name) VALUES (?) ON CONFLICT DO NOTHING",
  series: "INSERT INTO series (measurement, tag_key, tags) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  fieldset: "INSERT INTO fieldsets (names) VALUES (?) ON CONFLICT DO NOTHING",
  measurementId: "SELECT id FROM measurements WHERE name = ?",
  seriesId: "SELECT id FROM series WHERE measurement = ? AND tag_key = ?",
  fieldsetId: "SELECT id FROM fieldsets WHERE names = ?",
} as const;

function insertedOr(res: { changes: number | bigint; lastInsertRowid: number | bigint }, lookup: () => unknown): bigint {
  if (Number(res.changes) > 0) return BigInt(res.lastInsertRowid);
  const row = lookup() as { id?: bigint | number } | undefined;
  if (row?.id === undefined) throw new Error("interned id vanished between insert and lookup");
  return BigInt(row.id);
}

/** The three kinds of interned names; series are scoped by their measurement, the others by "". */
interface Dictionaries {
  m: Dictionary;
  s: Dictionary;
  f: Dictionary;
}

function dictionaries(): Dictionaries {
  return { m: new Dictionary(), s: new Dictionary(), f: new Dictionary() };
}

export class InternedIds {
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  readonly #committed = dictionaries();
  readonly #staged = dictionaries();

  constructor(db: DatabaseSync) {
    this.#stmts = {
      measurement: db.prepare(SQL.measurement),
      series: db.prepare(SQL.series),
      fieldset: db.prepare(SQL.fieldset),
      measurementId: db.prepare(SQL.measurementId),
      seriesId: db.prepare(SQL.seriesId),
      fieldsetId: db.prepare(SQL.fieldsetId),
    };
    for (const row of db.prepare("SELECT id, name FROM measurements").iterate()) {
      this.#committed.m.set("", String(row.name), row.id as bigint);
    }
    for (const row of db.prepare("SELECT id, measurement, tag_key FROM series").iterate()) {
      this.#committed.s.set(String(row.measurement), String(row.tag_key), row.id as bigint);
    }
    for (const row of db.prepare("SELECT id, names FROM fieldsets").iterate()) {
      this.#committed.f.set("", String(row.names), row.id as bigint);
    }
  }

  /** Must run inside the caller's transaction. */
  measurement(name: string): bigint {
    return this.#intern("m", "", name, () => insertedOr(this.#stmts.measurement.run(name), () => this.#stmts.measurementId.get(name)));
  }

  /** tagKey is the canonical key of tags (codec.ts). Must run inside the caller's transaction. */
  series(measurement: string, tagKey: string, tags: Record<string, string>): bigint {
    return this.#intern("s", measurement, tagKey, () =>
      insertedOr(this.#stmts.series.run(measurement, tagKey, sortedTagsJson(tags)), () => this.#stmts.seriesId.get(measurement, tagKey)),
    );
  }

  /** names is a JSON array of field names (codec.ts). Must run inside the caller's transaction. */
  fieldset(names: string): bigint {
    return this.#intern("f", "", names, () => insertedOr(this.#stmts.fieldset.run(names), () => this.#stmts.fieldsetId.get(names)));
  }

  /** The transaction committed: staged ids become known. */
  commit(): void {
    for (const kind of ["m", "s", "f"] as const) {
      this.#committed[kind].addAll(this.#staged[kind]);
      this.#staged[kind].clear();
    }
  }

  /** The transaction rolled back: staged ids never existed. */
  rollback(): void {
    for (const kind of ["m", "s", "f"] as const) this.#staged[kind].clear();
  }

  #intern(kind: keyof Dictionaries, scope: string, key: string, insert: () => number | bigint): bigint {
    const known = this.#committed[kind].get(scope, key) ?? this.#staged[kind].get(scope, key);
    if (known !== undefined) return known;
    const id = BigInt(insert());
    this.#staged[kind].set(scope, key, id);
    return id;
  }
}
