// The read path's merge: a series' points come from the head's rows, its chunks and its rollups' minutes, each source
// in time order but the sources interleaved. Items wait per series until no item still to come can be earlier, then
// go to the series' builder in time order; a builder that is full takes nothing more, and its series' chunks need
// not be decoded. What waits is bounded by the head's rows in the range plus one chunk per series.
import type { Minute, Segment, SeriesBuilder } from "../series-builder.ts";

/** A point (the i-th of a segment: a chunk's columns, or a head row's values) or a rollup's minute, at its time. */
export type Item = { timeNs: bigint; seg: Segment; i: number; minute?: undefined } | { timeNs: bigint; minute: Minute };

const byTime = (a: Item, b: Item): number => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0);

export class Merge {
  readonly #builders: ReadonlyMap<bigint, SeriesBuilder>;
  readonly #pending = new Map<bigint, Item[]>();

  constructor(builders: ReadonlyMap<bigint, SeriesBuilder>) {
    this.#builders = builders;
  }

  /** False once the series' builder is full (or the series is not asked for): nothing more of it is needed. */
  wants(series: bigint): boolean {
    const b = this.#builders.get(series);
    return b !== undefined && !b.full;
  }

  add(series: bigint, item: Item): void {
    let list = this.#pending.get(series);
    if (list === undefined) this.#pending.set(series, (list = []));
    list.push(item);
  }

  /** Every item of the series still to come is at or after `from`: what waits before it goes to the builder. */
  flushBefore(series: bigint, from: bigint): void {
    const list = this.#pending.get(series);
    if (list === undefined || list.length === 0) return;
    list.sort(byTime);
    let k = 0;
    while (k < list.length && (list[k] as Item).timeNs < from) k++;
    if (k === 0) return;
    this.#feed(series, list.slice(0, k));
    this.#pending.set(series, list.slice(k));
  }

  /** The end of every source: everything waiting goes to the builders. */
  finish(): void {
    for (const [series, list] of this.#pending) {
      list.sort(byTime);
      this.#feed(series, list);
    }
    this.#pending.clear();
  }

  #feed(series: bigint, items: readonly Item[]): void {
    const builder = this.#builders.get(series);
    if (builder === undefined) return;
    for (const p of items) {
      if (builder.full) return;
      if (p.minute === undefined) builder.addAt(p.timeNs, p.seg, p.i);
      else builder.addMinute(p.minute);
    }
  }
}
