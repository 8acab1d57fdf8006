// Point tags made once per series, not per point and tick.
import type { SampleContext } from "../types.ts";

/** Cached tag objects, at most; then the cache starts afresh (interfaces come and go). */
const MAX_CACHED = 4096;

/**
 * The tags of points that carry the base tags plus one tag `key` (the same object as long as the base tags are):
 * what shared/points point() builds, `{ ...ctx.baseTags, [key]: value }`, made once per value.
 * Points share these objects, frozen (so the batch encoder may keep their bytes): nothing may change them.
 */
export class TagCache {
  readonly #key: string;
  #base: SampleContext["baseTags"] | undefined;
  readonly #byValue = new Map<string, Readonly<Record<string, string>>>();
  /** The base tags alone (points of a sampler's own measurement without a tag of its own). */
  #bare: Readonly<Record<string, string>> | undefined;

  /** `key`: the sampler's own tag; "" when its points carry only the base tags (bare()). */
  constructor(key = "") {
    this.#key = key;
  }

  get(ctx: SampleContext, value: string): Readonly<Record<string, string>> {
    this.#check(ctx);
    let tags = this.#byValue.get(value);
    if (tags === undefined) {
      if (this.#byValue.size >= MAX_CACHED) this.#byValue.clear();
      this.#byValue.set(value, (tags = Object.freeze({ ...ctx.baseTags, [this.#key]: value })));
    }
    return tags;
  }

  /** `{ ...ctx.baseTags }`, made once. */
  bare(ctx: SampleContext): Readonly<Record<string, string>> {
    this.#check(ctx);
    return (this.#bare ??= Object.freeze({ ...ctx.baseTags }));
  }

  #check(ctx: SampleContext): void {
    if (ctx.baseTags === this.#base) return;
    this.#base = ctx.baseTags;
    this.#byValue.clear();
    this.#bare = undefined;
  }
}
