// The agent's newest sample per series (measurement + tag set), for GET /metrics. Bounded: at most maxSeries
// series; a sample of a new series beyond that is not kept (counted in `refused`), and series whose sample is
// older than staleAfterNs are forgotten when a scrape reads the table.
import type { Sample } from "@eastwest/common";
import type { LatestPoint } from "@eastwest/common/prom";

export class LatestTable {
  readonly #rows = new Map<string, Sample>();
  readonly #maxSeries: number;
  #refused = 0n;

  constructor(maxSeries: number) {
    this.#maxSeries = maxSeries;
  }

  /** Keeps each sample as its series' newest (a later sample replaces the row, as the collector's latest does). */
  observe(samples: readonly Sample[]): void {
    for (const s of samples) {
      const key = seriesKey(s);
      const prev = this.#rows.get(key);
      if (prev !== undefined) {
        if (s.timeNs >= prev.timeNs) this.#rows.set(key, s);
      } else if (this.#rows.size < this.#maxSeries) this.#rows.set(key, s);
      else this.#refused++;
    }
  }

  /** Rows in series-key order (so a truncated scrape cuts the same series each time); forgets rows older than oldestNs. */
  snapshot(oldestNs: bigint | undefined): LatestPoint[] {
    if (oldestNs !== undefined) for (const [k, r] of this.#rows) if (r.timeNs < oldestNs) this.#rows.delete(k);
    return [...this.#rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Samples of new series not kept because the table was full. */
  get refused(): bigint {
    return this.#refused;
  }
}

function seriesKey(s: Sample): string {
  let k = s.measurement;
  for (const t of Object.keys(s.tags).sort()) k += `\u0000${t}\u0001${s.tags[t]}`;
  return k;
}
