// Per-point keys for the batch decoder: a point's shape (measurement, tag
// keys, field names and wire types) and its series (measurement and tag set)
// as strings, so that validation and the store can cache by them. Most
// points repeat a shape and a series already seen: they are found by the ids
// of their interned names (reader.ts), and the cached key string is
// returned, built and hashed once instead of once per point.
//
// Key formats, unambiguous whatever the names contain (piece = len:name):
//   shape   measurement-piece "T" (tag-piece)* "F" (field-piece type)*
//           type one of f i u b s, or "-" for a field without a value
//   series  measurement-piece "T" (tag-piece value-piece)*
import { INTERNER } from "./reader.ts";

const MAX_ENTRIES = 20_000;

interface Entry {
  ids: Int32Array;
  key: string;
}

/** Key strings by the id sequence they were built from, within one interner generation. */
export class KeyTable {
  readonly #buckets = new Map<number, Entry[]>();
  #size = 0;
  #generation = INTERNER.generation;

  /** The key stored for ids[0, n), or undefined. */
  find(ids: Int32Array, n: number, hash: number): string | undefined {
    if (this.#generation !== INTERNER.generation) this.#clear();
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) return undefined;
    for (const e of bucket) if (sameIds(e.ids, ids, n)) return e.key;
    return undefined;
  }

  add(ids: Int32Array, n: number, hash: number, key: string): void {
    if (this.#size >= MAX_ENTRIES) this.#clear();
    const e: Entry = { ids: ids.slice(0, n), key };
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) this.#buckets.set(hash, [e]);
    else bucket.push(e);
    this.#size++;
  }

  #clear(): void {
    this.#buckets.clear();
    this.#size = 0;
    this.#generation = INTERNER.generation;
  }
}

function sameIds(a: Int32Array, b: Int32Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FNV-1a over ids[0, n), folded to a small integer. */
export function hashIds(ids: Int32Array, n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (ids[i] as number), 16777619);
  return h & 0x3fffffff;
}

export interface Shape {
  measurement: string;
  tags: string[];
  fields: Array<{ name: string; type: string }>;
}

/** Reads a shape key; throws on a string that is not one. */
export function parseShape(shape: string): Shape {
  let pos = 0;
  const name = (): string => {
    const colon = shape.indexOf(":", pos);
    const n = colon < 0 ? NaN : Number(shape.slice(pos, colon));
    if (!Number.isInteger(n) || colon + 1 + n > shape.length) throw new Error(`not a shape key at ${pos}`);
    pos = colon + 1 + n;
    return shape.slice(colon + 1, pos);
  };
  const expect = (c: string) => {
    if (shape[pos++] !== c) throw new Error(`not a shape key: expected ${c} at ${pos - 1}`);
  };
  const isDigit = () => pos < shape.length && shape.charCodeAt(pos) >= 48 && shape.charCodeAt(pos) <= 57;
  const out: Shape = { measurement: name(), tags: [], fields: [] };
  expect("T");
  while (isDigit()) out.tags.push(name());
  expect("F");
  while (pos < shape.length) {
    const field = name();
    if (pos >= shape.length) throw new Error(`not a shape key: field ${field} has no type`);
    out.fields.push({ name: field, type: shape[pos++] as string });
  }
  return out;
}
