// The bytes of names (NAME fields) and of whole tag entries, made once and copied into every batch.
// why: names and whole tag entries repeat every tick; encoding them afresh was most of the encoder's cost.
import { ENTRY_VALUE, NAME, POINT_TAGS } from "./keys.ts";
import { delimited, EMPTY } from "./writer.ts";

/** Cached byte strings, at most; then the cache starts afresh (ever-new tag values, e.g. ephemeral ports). */
const MAX_CACHED = 4096;

export class ByteCache {
  #names = new Map<string, Buffer>();
  #tags = new Map<string, Map<string, Buffer>>();
  #frozen = new WeakMap<object, Buffer>();
  #size = 0;

  // why: the lookups are hot and the misses cold; kept apart, the hot functions stay small to compile (the JIT's
  // work in an agent's first seconds is part of what it costs).

  /** `s` as field 1 (NAME); "" as nothing, as proto3 omits empty strings. */
  name(s: string): Buffer {
    return this.#names.get(s) ?? this.#newName(s);
  }

  /** A Point.tags entry, whole. */
  tag(key: string, value: string): Buffer {
    return this.#tags.get(key)?.get(value) ?? this.#newTag(key, value);
  }

  /**
   * All entries of a frozen tags object, whole (samplers share one frozen tags object per series between ticks);
   * undefined for other tags objects. why: one lookup per point instead of two per tag. Only frozen objects:
   * their entries cannot change after their bytes are made.
   */
  tagsOf(tags: Readonly<Record<string, string>>): Buffer | undefined {
    return this.#frozen.get(tags) ?? (Object.isFrozen(tags) ? this.#newTags(tags) : undefined);
  }

  #newTags(tags: Readonly<Record<string, string>>): Buffer {
    const bytes = Buffer.concat(Object.entries(tags).map(([key, value]) => this.tag(key, value)));
    this.#frozen.set(tags, bytes);
    return bytes;
  }

  #newName(s: string): Buffer {
    const bytes = s === "" ? EMPTY : delimited(NAME, Buffer.from(s, "utf8"));
    this.#remember();
    this.#names.set(s, bytes);
    return bytes;
  }

  #newTag(key: string, value: string): Buffer {
    const v = value === "" ? EMPTY : delimited(ENTRY_VALUE, Buffer.from(value, "utf8"));
    const bytes = delimited(POINT_TAGS, Buffer.concat([this.name(key), v]));
    this.#remember();
    let byValue = this.#tags.get(key);
    if (byValue === undefined) this.#tags.set(key, (byValue = new Map()));
    byValue.set(value, bytes);
    return bytes;
  }

  #remember(): void {
    if (++this.#size <= MAX_CACHED) return;
    this.#names.clear();
    this.#tags.clear();
    this.#frozen = new WeakMap();
    this.#size = 1;
  }
}
