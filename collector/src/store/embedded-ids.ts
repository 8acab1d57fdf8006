// Interned names of the embedded store: measurements, series and field sets,
// each a small table mapping text to a stable integer id, cached in memory.
// Ids created inside a transaction are staged and join the cache only on
// commit(), so a rolled-back batch never leaves a dangling id behind.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { sortedTagsJson } from "./codec.ts";

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

const SQL = {
  measurement: "INSERT INTO measurements (name) VALUES (?)",
  series: "INSERT INTO series (measurement, tag_key, tags) VALUES (?, ?, ?)",
  fieldset: "INSERT INTO fieldsets (names) VALUES (?)",
} as const;

export class InternedIds {
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  readonly #committed = new Dictionary();
  readonly #staged = new Dictionary();

  constructor(db: DatabaseSync) {
    this.#stmts = {
      measurement: db.prepare(SQL.measurement),
      series: db.prepare(SQL.series),
      fieldset: db.prepare(SQL.fieldset),
    };
    for (const row of db.prepare("SELECT id, name FROM measurements").iterate()) {
      this.#committed.set("m", String(row.name), row.id as bigint);
    }
    for (const row of db.prepare("SELECT id, measurement, tag_key FROM series").iterate()) {
      this.#committed.set("s" + String(row.measurement), String(row.tag_key), row.id as bigint);
    }
    for (const row of db.prepare("SELECT id, names FROM fieldsets").iterate()) {
      this.#committed.set("f", String(row.names), row.id as bigint);
    }
  }

  /** Must run inside the caller's transaction. */
  measurement(name: string): bigint {
    return this.#intern("m", name, () => this.#stmts.measurement.run(name).lastInsertRowid);
  }

  /** tagKey is the canonical key of tags (codec.ts). Must run inside the caller's transaction. */
  series(measurement: string, tagKey: string, tags: Record<string, string>): bigint {
    return this.#intern("s" + measurement, tagKey, () =>
      this.#stmts.series.run(measurement, tagKey, sortedTagsJson(tags)).lastInsertRowid,
    );
  }

  /** names is a JSON array of field names (codec.ts). Must run inside the caller's transaction. */
  fieldset(names: string): bigint {
    return this.#intern("f", names, () => this.#stmts.fieldset.run(names).lastInsertRowid);
  }

  /** The transaction committed: staged ids become known. */
  commit(): void {
    this.#committed.addAll(this.#staged);
    this.#staged.clear();
  }

  /** The transaction rolled back: staged ids never existed. */
  rollback(): void {
    this.#staged.clear();
  }

  #intern(scope: string, key: string, insert: () => number | bigint): bigint {
    const known = this.#committed.get(scope, key) ?? this.#staged.get(scope, key);
    if (known !== undefined) return known;
    const id = BigInt(insert());
    this.#staged.set(scope, key, id);
    return id;
  }
}
