// The fast batch encoder in the cases particular to it: its byte caches (frozen tags, shared times, more names than
// it caches), its reused buffer on batches past 2 MiB, and ts-proto's errors. Random batches of every value kind:
// roundtrip.test.ts.
import assert from "node:assert/strict";
import fc from "fast-check";
import { toWirePoint, type FieldValue, type Sample } from "@eastwest/common";
import { AgentMessage } from "@eastwest/proto";
import { BatchEncoder } from "../../../proto/src/wire/encode.ts";

function reference(agentId: string, seq: bigint, points: Sample[], createdNs: bigint): Buffer {
  return Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: { agentId, seq, points: points.map(toWirePoint), createdNs } } }).finish());
}

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;
// why: not "__proto__": toWirePoint copies fields by assignment, which turns that key into a prototype and drops it.
const name = fc
  .oneof(fc.constantFrom("", "cpu", "rx_bytes_total", "agent_id", "ünïcode ✓"), fc.string({ maxLength: 12 }), fc.string({ minLength: 120, maxLength: 300 }))
  .filter((s) => s !== "__proto__");
const field: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e300),
  fc.bigInt({ min: 0n, max: 1n << 53n }),
  fc.bigInt({ min: I64_MIN, max: (1n << 66n) }),
  fc.constantFrom(0n, 127n, 128n, (1n << 53n) - 1n, 1n << 53n, U64_MAX, U64_MAX + 5n, -1n, I64_MIN),
  fc.boolean(),
  name,
);
const sample: fc.Arbitrary<Sample> = fc.record({
  measurement: name,
  tags: fc.dictionary(name, name, { maxKeys: 5 }),
  fields: fc.dictionary(name, field, { maxKeys: 8 }),
  timeNs: fc.oneof(fc.constant(0n), fc.bigInt({ min: I64_MIN, max: (1n << 63n) - 1n }), fc.constant(1_800_000_000_123_456_789n)),
});

describe("BatchEncoder (wire/encode.ts)", () => {
  it("frozen tags (shared by samplers between ticks) and a shared time encode as any others", () => {
    const encoder = new BatchEncoder();
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (points, picks) => {
        // why: the same frozen tags objects again and again, in other batches, beside unfrozen copies of them.
        const frozen = points.map((p) => ({ ...p, tags: Object.freeze({ ...p.tags }) }));
        for (const batch of [frozen, frozen.slice().reverse(), picks.map((i) => frozen[i % frozen.length] as Sample), [...points, ...frozen]]) {
          assert.deepEqual(encoder.encode("a", 1n, batch, 2n), reference("a", 1n, batch, 2n));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("handles batches past 2 MiB (a longer length prefix) and more distinct tags than it caches", () => {
    const encoder = new BatchEncoder();
    const points: Sample[] = Array.from({ length: 20_000 }, (_, i) => ({
      measurement: "tcp_flow",
      tags: { agent_id: "a1", local: `10.0.0.1:${i}`, remote: "10.0.0.2:5201" },
      fields: { rtt_ns: BigInt(i) * 1000n, cwnd: 10n, send_rate_bits_per_s: i * 1.5, app_limited: i % 2 === 0 },
      timeNs: 1_800_000_000_000_000_000n + BigInt(i),
    }));
    const mine = encoder.encode("a1", 42n, points, 7n);
    assert.ok(mine.length > 2 * 1024 * 1024);
    assert.deepEqual(mine, reference("a1", 42n, points, 7n));
    assert.deepEqual(encoder.encode("a1", 43n, points.slice(0, 3), 8n), reference("a1", 43n, points.slice(0, 3), 8n), "the buffer is reused");
  });

  it("refuses an int64 out of range as ts-proto does, then encodes the next batch cleanly", () => {
    const encoder = new BatchEncoder();
    const bad: Sample = { measurement: "m", tags: {}, fields: { x: I64_MIN - 1n }, timeNs: 1n };
    assert.throws(() => encoder.encode("a", 1n, [bad], 1n), /too large/);
    assert.throws(() => reference("a", 1n, [bad], 1n), /too large/);
    const good: Sample = { measurement: "m", tags: { t: "v" }, fields: { x: 1n }, timeNs: 1n };
    assert.deepEqual(encoder.encode("a", 2n, [good], 1n), reference("a", 2n, [good], 1n));
  });
});
