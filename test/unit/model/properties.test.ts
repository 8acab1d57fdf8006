import assert from "node:assert/strict";
import fc from "fast-check";
import { breakdown, ceiling, efficiency, PAPER_CONSTANTS, type ModelConstants, type Observed } from "../../../collector/src/model/cost-model.ts";
import { formatBreakdown, formatCeiling } from "../../../collector/src/model/format.ts";
import { anyConstants, anyNumber } from "../../helpers/arbitraries.ts";

/** Every number anywhere in a value. */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
  return out;
}

/** Any double, including NaN, +-Infinity, -0, negatives, huge and subnormal values. */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });


const anyObserved: fc.Arbitrary<Observed> = fc.record(
  {
    packets_per_s: maybe(anyNumber),
    bytes_per_s: maybe(anyNumber),
    bytes_per_packet: maybe(anyNumber),
    exits_per_packet: maybe(anyNumber),
    syscalls_per_packet: maybe(anyNumber),
    copies_per_packet: maybe(anyNumber),
    bytes_moved_per_payload_byte: maybe(anyNumber),
  },
  { requiredKeys: [] },
);

const pos = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Realistic constants: every cost and count positive. */
const goodConstants: fc.Arbitrary<ModelConstants> = fc.record({
  packet_bytes: fc.integer({ min: 64, max: 262_144 }),
  copies: pos(0.1, 16),
  copy_us: fc.constant(null),
  copy_bytes_per_s: pos(1e8, 1e12),
  syscalls: pos(0.1, 16),
  syscall_us: pos(0.01, 10),
  exits: pos(0.1, 16),
  exit_us: pos(0.01, 10),
});

describe("cost model properties", () => {
  it("never returns NaN or Infinity, for any constants and observations", () => {
    fc.assert(
      fc.property(anyConstants, anyObserved, anyNumber, (c, obs, measured) => {
        const ceil = ceiling(c);
        const b = breakdown(c, obs);
        const all = [...numbers(ceil), ...numbers(b), ...numbers(efficiency(measured, ceil))];
        assert.ok(all.every(Number.isFinite), JSON.stringify({ c, obs }));
        const text = formatCeiling(ceil, 1, efficiency(1, ceil)) + formatBreakdown(b);
        const figures = text.split("\n").filter((l) => !l.startsWith("note: "));
        assert.ok(figures.every((l) => !/NaN|Infinity/.test(l)), text);
      }),
      { numRuns: 2000 },
    );
  });

  it("a packet smaller than a byte gives no ceiling, and nothing prints as Infinity (found by the property above)", () => {
    const c: ModelConstants = { packet_bytes: 5e-324, copies: 0, copy_us: null, copy_bytes_per_s: 0, syscalls: 4.455517161480976e-33, syscall_us: 15947480618028.232, exits: 0, exit_us: 0 };
    const ceil = ceiling(c);
    assert.equal(ceil.max_gbit_s, null);
    assert.match(ceil.reason ?? "", /packet_bytes 5e-324 \(must be >= 1\)/);
    assert.equal(efficiency(1, ceil), null);
    assert.doesNotMatch(formatCeiling(ceil, 1, efficiency(1, ceil)), /NaN|Infinity|\d,\d*e\+/);
  });

  it("more exits per packet never raise packets/s (and lower it when exits cost time)", () => {
    fc.assert(
      fc.property(goodConstants, pos(0, 16), pos(0.01, 16), (c, e, more) => {
        const a = ceiling({ ...c, exits: e });
        const b = ceiling({ ...c, exits: e + more });
        assert.ok((b.packets_per_s ?? 0) < (a.packets_per_s ?? 0));
      }),
    );
  });

  it("a slower copy never raises packets/s", () => {
    fc.assert(
      fc.property(goodConstants, pos(1.001, 100), (c, factor) => {
        const fast = ceiling(c);
        const slow = ceiling({ ...c, copy_bytes_per_s: c.copy_bytes_per_s / factor });
        assert.ok((slow.packets_per_s ?? 0) < (fast.packets_per_s ?? 0));
        assert.ok((slow.max_gbit_s ?? 0) < (fast.max_gbit_s ?? 0));
      }),
    );
  });

  it("a larger stated copy_us never raises packets/s", () => {
    fc.assert(
      fc.property(pos(0, 100), pos(0.001, 100), (us, more) => {
        const a = ceiling({ ...PAPER_CONSTANTS, copy_us: us });
        const b = ceiling({ ...PAPER_CONSTANTS, copy_us: us + more });
        assert.ok((b.packets_per_s ?? 0) < (a.packets_per_s ?? 0));
      }),
    );
  });

  it("unexplained + sum(terms) == measured time per packet", () => {
    fc.assert(
      fc.property(goodConstants, pos(1, 1e8), anyObserved, (c, pps, obs) => {
        const b = breakdown(c, { ...obs, packets_per_s: pps });
        assert.ok(b.measured_per_packet_us !== null && b.unexplained_us !== null);
        const sum = b.terms.reduce((s, t) => s + t.total_us, 0);
        const back = b.unexplained_us + sum;
        assert.ok(Math.abs(back - b.measured_per_packet_us) <= 1e-9 * Math.max(1, Math.abs(b.measured_per_packet_us), sum));
        assert.equal(b.fit, b.unexplained_us < 0 ? "over_predicts" : "remainder");
      }),
    );
  });
});
