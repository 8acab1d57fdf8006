// Per-series counter memory between ticks: turns totals into deltas and per-second rates.
import { counterIncrease, rate, type CounterBits } from "../../runtime/counters.ts";

/** Counter increases of one series over one interval. */
export interface Interval {
  dtNs: bigint;
  /** Only counters present in both reads that did not reset. */
  deltas: Readonly<Record<string, bigint>>;
}

interface Snapshot {
  timeNs: bigint;
  counters: Readonly<Record<string, bigint>>;
}

export class RateMemory {
  readonly #bits: CounterBits;
  #prev = new Map<string, Snapshot>();
  #touched = new Set<string>();

  constructor(bits: CounterBits) {
    this.#bits = bits;
  }

  /**
   * Remembers `counters` for `series` at `nowNs` and returns the interval since the previous call,
   * or undefined on the series' first tick or when the clock did not advance.
   */
  step(series: string, nowNs: bigint, counters: Readonly<Record<string, bigint>>): Interval | undefined {
    const prev = this.#prev.get(series);
    this.#prev.set(series, { timeNs: nowNs, counters });
    this.#touched.add(series);
    if (prev === undefined || nowNs <= prev.timeNs) return undefined;
    const deltas: Record<string, bigint> = {};
    for (const name in counters) {
      const before = prev.counters[name];
      if (before === undefined) continue;
      const delta = counterIncrease(before, counters[name] as bigint, this.#bits);
      if (delta !== undefined) deltas[name] = delta;
    }
    return { dtNs: nowNs - prev.timeNs, deltas };
  }

  /**
   * Keeps every series whose key starts with `prefix` through the next sweep without stepping it. why: a tick that
   * failed to read a series whose owner is still there (a QMP reply that came late) must not forget it; the next read
   * then has a rate over the longer interval instead of none for two intervals.
   */
  keep(prefix: string): void {
    for (const series of this.#prev.keys()) if (series.startsWith(prefix)) this.#touched.add(series);
  }

  /** Forgets series neither stepped nor kept since the last sweep (a vanished interface, an offlined cpu, a closed flow). */
  sweep(): void {
    for (const series of this.#prev.keys()) if (!this.#touched.has(series)) this.#prev.delete(series);
    this.#touched.clear();
  }

  get size(): number {
    return this.#prev.size;
  }
}

/** Per-second rate of one counter over an interval; undefined when absent, reset or dt <= 0. */
export function perSecond(interval: Interval | undefined, counter: string): number | undefined {
  const delta = interval?.deltas[counter];
  return interval === undefined || delta === undefined ? undefined : rate(delta, interval.dtNs);
}

/** Adds `<field>: rate(counter)` for each [counter, field] pair whose rate is defined. */
export function addRates(fields: Record<string, unknown>, interval: Interval | undefined, pairs: ReadonlyArray<readonly [string, string]>): void {
  for (const [counter, field] of pairs) {
    const perS = perSecond(interval, counter);
    if (perS !== undefined) fields[field] = perS;
  }
}
