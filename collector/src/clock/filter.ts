// The collector's estimate of one agent's clock offset from NTP-style round trips (ClockExchange in the proto).
// Pure: no I/O, no clock (callers pass the collector's time).
//
// An exchange stamps t1 (agent sends) and t4 (agent receives the reply) on the agent's clock, t2 and t3 on the
// collector's. Whatever the one-way delays, the agent's offset (its clock minus the collector's) lies in
// [t1 - t2, t4 - t3]; stamps are whole milliseconds (Date.now), so each bound is widened by that precision. The
// estimate is the interval's middle, ((t1 - t2) + (t4 - t3)) / 2, and its uncertainty half its width: delay / 2
// plus the precision, where delay = (t4 - t1) - (t3 - t2). As NTP's clock filter does, the estimate follows the
// exchange of least delay among the last `size` accepted ones, and its uncertainty grows with that exchange's age
// by the drift allowance (NTP's 15 ppm). An exchange whose interval does not overlap the newest one's (allowing
// for drift) tells of a clock that was stepped: it is dropped.
export interface Exchange {
  t1Ns: bigint;
  t2Ns: bigint;
  t3Ns: bigint;
  t4Ns: bigint;
}

export interface FilterOptions {
  /** Exchanges kept (NTP: 8). */
  size: number;
  /** Resolution of each stamp, ns (1 ms: Date.now). */
  precisionNs: bigint;
  /** Drift allowance, parts per million of an exchange's age. */
  driftPpm: number;
  /** Round trips longer than this tell too little and are refused, ns. */
  maxDelayNs: bigint;
  /** Offsets beyond +- this are refused as absurd, ns. */
  maxOffsetNs: bigint;
  /** Exchanges older than this (by t3, on the collector's clock) are refused, ns. */
  maxAgeNs: bigint;
}

const MS = 1_000_000n;
export const DEFAULT_FILTER: FilterOptions = {
  size: 8,
  precisionNs: MS,
  driftPpm: 15,
  maxDelayNs: 10_000n * MS,
  maxOffsetNs: 30n * 86_400_000n * MS,
  maxAgeNs: 2n * 3_600_000n * MS,
};

/** One accepted exchange: the interval the offset lies in, and when the collector answered (t3). */
export interface ClockSample {
  loNs: bigint;
  hiNs: bigint;
  atNs: bigint;
}

export type Measured = { ok: true; sample: ClockSample } | { ok: false; reason: string };

export type Estimate =
  | { known: true; offsetNs: bigint; uncertaintyNs: bigint; delayNs: bigint; samples: number; ageNs: bigint }
  | { known: false; reason: string };

const abs = (x: bigint) => (x < 0n ? -x : x);
const INT64_MAX = (1n << 63n) - 1n;

function isStamp(x: unknown): x is bigint {
  return typeof x === "bigint" && x > 0n && x <= INT64_MAX;
}

/** The interval of one exchange, or why it is refused. `nowNs`: the collector's time when it is reported. */
export function measure(e: Exchange, nowNs: bigint, o: FilterOptions = DEFAULT_FILTER): Measured {
  const refuse = (reason: string): Measured => ({ ok: false, reason });
  const stamps = [e.t1Ns, e.t2Ns, e.t3Ns, e.t4Ns];
  if (!stamps.every(isStamp)) return refuse("an exchange needs four positive timestamps");
  if (e.t4Ns < e.t1Ns) return refuse("t4 before t1: the agent's clock went back during the exchange");
  if (e.t3Ns < e.t2Ns) return refuse("t3 before t2: not a reply of this collector");
  if (e.t3Ns > nowNs + o.precisionNs) return refuse("t3 is in the collector's future: not a reply of this collector");
  if (nowNs - e.t3Ns > o.maxAgeNs) return refuse(`exchange older than ${o.maxAgeNs / MS} ms`);
  const delay = e.t4Ns - e.t1Ns - (e.t3Ns - e.t2Ns);
  if (delay < -2n * o.precisionNs) return refuse(`negative delay (${delay} ns): the stamps are not of one round trip`);
  if (delay > o.maxDelayNs) return refuse(`round trip of ${delay / MS} ms: over ${o.maxDelayNs / MS} ms, too slow to tell the offset`);
  const sample = { loNs: e.t1Ns - e.t2Ns - o.precisionNs, hiNs: e.t4Ns - e.t3Ns + o.precisionNs, atNs: e.t3Ns };
  if (abs(mid(sample)) > o.maxOffsetNs) return refuse(`offset of ${mid(sample) / MS} ms: beyond +-${o.maxOffsetNs / MS} ms, not believed`);
  return { ok: true, sample };
}

function mid(s: ClockSample): bigint {
  return (s.loNs + s.hiNs) / 2n;
}

function drift(s: ClockSample, nowNs: bigint, ppm: number): bigint {
  const age = nowNs > s.atNs ? nowNs - s.atNs : 0n;
  return (age * BigInt(Math.round(ppm * 1000))) / 1_000_000_000n;
}

/** The estimator of one agent's clock. */
export class ClockFilter {
  readonly #o: FilterOptions;
  #samples: ClockSample[] = [];
  #refused = 0;
  #lastRefusal = "";

  constructor(o: Partial<FilterOptions> = {}) {
    this.#o = { ...DEFAULT_FILTER, ...o };
  }

  /** Adds a reported exchange; returns why it was refused, or undefined when accepted. */
  add(e: Exchange, nowNs: bigint): string | undefined {
    const m = measure(e, nowNs, this.#o);
    if (!m.ok) {
      this.#refused += 1;
      this.#lastRefusal = m.reason;
      return m.reason;
    }
    const s = m.sample;
    // why: a stepped clock (NTP, an operator) makes older intervals disjoint from the newest; they no longer apply.
    const kept = this.#samples.filter((x) => x.hiNs + drift(x, s.atNs, this.#o.driftPpm) >= s.loNs && x.loNs - drift(x, s.atNs, this.#o.driftPpm) <= s.hiNs);
    this.#samples = [...kept, s].slice(-this.#o.size);
    return undefined;
  }

  /** Exchanges refused so far, and the last reason. */
  get refusals(): { count: number; last: string } {
    return { count: this.#refused, last: this.#lastRefusal };
  }

  /** The estimate at the collector's time nowNs: the least-delay exchange kept, its uncertainty grown by drift. */
  estimate(nowNs: bigint): Estimate {
    let best: ClockSample | undefined;
    for (const s of this.#samples) if (best === undefined || s.hiNs - s.loNs < best.hiNs - best.loNs) best = s;
    if (best === undefined) return { known: false, reason: this.#refused > 0 ? `no usable round trip yet (last refused: ${this.#lastRefusal})` : "no round trip yet" };
    const half = (best.hiNs - best.loNs) / 2n;
    return {
      known: true,
      offsetNs: mid(best),
      uncertaintyNs: half + drift(best, nowNs, this.#o.driftPpm),
      delayNs: best.hiNs - best.loNs - 2n * this.#o.precisionNs,
      samples: this.#samples.length,
      ageNs: nowNs > best.atNs ? nowNs - best.atNs : 0n,
    };
  }
}
