// The in-process shape of one sample, before it goes on the wire: defined with the wire codec that encodes it
// (proto/src/wire/sample.ts). number -> double field; bigint -> integer field (uint64 when >= 0, else int64);
// boolean and string as such. Counters stay bigint.
export type { FieldValue, Sample } from "@eastwest/proto/wire";

/** Current wall-clock time in Unix epoch nanoseconds. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

/**
 * The wall clock in whole milliseconds, as Unix epoch ns: the stamps of clock round trips (ClockExchange). why: not
 * nowNs(), whose sub-millisecond part comes from the monotonic clock and is not the wall clock's; a whole-millisecond
 * stamp has a known precision (1 ms), which the offset estimate accounts for.
 */
export function stampNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
