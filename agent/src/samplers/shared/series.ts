// Counter memory by position: RateMemory's rule (shared/rates.ts) for samplers whose counters have a fixed
// layout (the columns of /proc/stat, of /proc/net/dev, a selection of snmp counters), kept in arrays.
// why: RateMemory keys counters by name in fresh records every tick; at 10 Hz those keyed stores and loads
// were a large share of a /proc sampler's tick.
import { counterIncrease, rate, type CounterBits } from "../../runtime/counters.ts";

/** One series (an interface, a cpu): fill `values`, then step it through its SeriesMemory. */
export class CounterSeries {
  /** This tick's counters by position; undefined for absent. Cleared by each step. */
  values: Array<bigint | undefined>;
  /** Increases of the last interval by position: undefined where absent in either read, or reset. */
  readonly deltas: Array<bigint | undefined>;
  /** Length of the last interval; 0n when the last step gave none (first read, clock not advanced). */
  dtNs = 0n;
  #prev: Array<bigint | undefined>;
  #prevNs: bigint | undefined;
  /** Sweep generation of the last step. */
  stepped = 0;

  constructor(width: number) {
    this.values = new Array<bigint | undefined>(width).fill(undefined);
    this.deltas = new Array<bigint | undefined>(width).fill(undefined);
    this.#prev = new Array<bigint | undefined>(width).fill(undefined);
  }

  /** Whether the last step gave an interval. */
  get hasInterval(): boolean {
    return this.dtNs > 0n;
  }

  /** Per-second rate of counter `i` over the last interval; undefined when absent, reset or none. */
  perSecond(i: number): number | undefined {
    const delta = this.deltas[i];
    return delta === undefined || this.dtNs === 0n ? undefined : rate(delta, this.dtNs);
  }

  step(nowNs: bigint, bits: CounterBits): void {
    const prev = this.#prev;
    const cur = this.values;
    const interval = this.#prevNs !== undefined && nowNs > this.#prevNs;
    this.dtNs = interval ? nowNs - (this.#prevNs as bigint) : 0n;
    for (let i = 0; i < cur.length; i++) {
      const before = prev[i];
      const now = cur[i];
      this.deltas[i] = interval && before !== undefined && now !== undefined ? counterIncrease(before, now, bits) : undefined;
    }
    this.#prevNs = nowNs;
    this.#prev = cur;
    this.values = prev.fill(undefined);
  }
}

/** The series of one sampler by key; those not stepped between two sweeps are forgotten. */
export class SeriesMemory {
  readonly #bits: CounterBits;
  readonly #width: number;
  readonly #series = new Map<string, CounterSeries>();
  #generation = 1;

  constructor(bits: CounterBits, width: number) {
    this.#bits = bits;
    this.#width = width;
  }

  /** The series `key` (new: no previous read). */
  get(key: string): CounterSeries {
    let s = this.#series.get(key);
    if (s === undefined) this.#series.set(key, (s = new CounterSeries(this.#width)));
    return s;
  }

  /** Remembers the series' values at `nowNs`; its deltas and dtNs then describe the interval since its last step. */
  step(series: CounterSeries, nowNs: bigint): void {
    series.step(nowNs, this.#bits);
    series.stepped = this.#generation;
  }

  /** Forgets series not stepped since the last sweep (a vanished interface, an offlined cpu). */
  sweep(): void {
    for (const [key, s] of this.#series) if (s.stepped !== this.#generation) this.#series.delete(key);
    this.#generation++;
  }

  get size(): number {
    return this.#series.size;
  }
}
