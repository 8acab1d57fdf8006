// Pure counter -> delta -> rate math. No clock, no I/O.

/** Width of a kernel counter: 32 for `unsigned int` (/proc/softirqs, softnet_stat), 64 for u64 / 64-bit `unsigned long`. */
export type CounterBits = 32 | 64;

export interface CounterStep {
  /** Increase since the previous read; always >= 0 and < 2^bits; 0 when `reset`. */
  delta: bigint;
  /** The counter went backwards and this is not a plausible wrap. */
  reset: boolean;
}

const RANGE: Readonly<Record<CounterBits, bigint>> = { 32: 1n << 32n, 64: 1n << 64n };

/**
 * Increase of a monotonic counter between two reads `prev` then `cur`.
 *
 * Rule:
 * - cur >= prev: delta = cur - prev.
 * - cur < prev, 32-bit: a wrap when the wrapped increase (2^32 - prev + cur) is below 2^31, i.e. the counter
 *   passed less than half its range in one interval; otherwise a reset.
 * - cur < prev, 64-bit: always a reset. why: a 64-bit byte counter at 400 Gbit/s needs ~11 years to wrap,
 *   while drops do happen (device re-created, per-cpu sums read mid-update, NO_HZ idle/iowait stepping back).
 * - a value outside [0, 2^bits) is a reset.
 * A reset yields delta 0: what was counted since the reset is unknown, so no increase is claimed (never a spike).
 */
export function counterDelta(prev: bigint, cur: bigint, bits: CounterBits): CounterStep {
  const delta = counterIncrease(prev, cur, bits);
  return delta === undefined ? { delta: 0n, reset: true } : { delta, reset: false };
}

/** counterDelta's delta, or undefined for a reset; allocates no result object (it runs per counter per tick). */
export function counterIncrease(prev: bigint, cur: bigint, bits: CounterBits): bigint | undefined {
  const range = RANGE[bits];
  if (prev < 0n || cur < 0n || prev >= range || cur >= range) return undefined;
  // why: most counters do not move between two reads at 10 Hz; 0n is a constant, `cur - prev` a new bigint.
  if (cur === prev) return 0n;
  if (cur >= prev) return cur - prev;
  const wrapped = range - prev + cur;
  return bits === 32 && wrapped < range / 2n ? wrapped : undefined;
}

/**
 * Per-second rate of an increase `delta` over `dtNs` nanoseconds.
 * undefined when dtNs <= 0 or delta < 0 (a counter rate is never negative); never NaN or Infinity.
 */
export function rate(delta: bigint, dtNs: bigint): number | undefined {
  if (dtNs <= 0n || delta < 0n) return undefined;
  if (delta === 0n) return 0; // what the division below gives, without its bigints
  // why: bigint division first keeps whole rates exact (5e9 bytes over 1 s is 5e9, not 4999999999.999999).
  const scaled = delta * 1_000_000_000n;
  const perS = Number(scaled / dtNs) + Number(scaled % dtNs) / Number(dtNs);
  return Number.isFinite(perS) ? perS : undefined;
}
