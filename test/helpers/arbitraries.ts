// fast-check arbitraries shared by property tests of the cost model and of runs.
import fc from "fast-check";
import type { ModelConstants } from "../../collector/src/model/cost-model.ts";

/** Any double, plus the edge values a model must survive: zeros, negatives, extremes, NaN, Infinity. */
export const anyNumber = fc.oneof(fc.double(), fc.constantFrom(0, -0, -1, 1e308, 5e-324, Number.NaN, Number.POSITIVE_INFINITY));

/** Model constants with any number in every slot (copy_us may be null). */
export const anyConstants: fc.Arbitrary<ModelConstants> = fc.record({
  packet_bytes: anyNumber,
  copies: anyNumber,
  copy_us: fc.option(anyNumber, { nil: null }),
  copy_bytes_per_s: anyNumber,
  syscalls: anyNumber,
  syscall_us: anyNumber,
  exits: anyNumber,
  exit_us: anyNumber,
});
