// The fast wire codec (proto/src/wire) against the generated ts-proto code, for random batches of every field
// value kind: fast encode -> ts-proto decode, ts-proto encode -> fast decode, and fast encode -> fast decode
// all give the batch back; the fast encoder writes ts-proto's bytes exactly, as gRPC frames and as NATS messages.
// Cases particular to one side (caches, large batches, keys, malformed frames) are in encode.test.ts and decode.test.ts.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromWirePoint, toWirePoint, type FieldValue, type Sample } from "@eastwest/common";
import { AgentMessage, Batch } from "@eastwest/proto";
import { BatchEncoder } from "../../../proto/src/wire/encode.ts";
import { agentMessageBatch, decodeBatch, type DecodedBatch } from "../../../proto/src/wire/decode.ts";

const LIMITS = { maxTagValueLength: 256, maxStringFieldLength: 4096 };
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

// Names that stress both sides: interned ASCII, long ones (decoded alone), multi-byte UTF-8, separators of the
// decoder's key formats, and the empty string (which proto3 leaves out).
const name = fc.oneof(
  fc.constantFrom("", "cpu", "rx_bytes_total", "agent_id", "interface", "ünïcode ✓", "日本語", "🦀", "1:x", "T", "F", "x:yT", "toString", "__proto__"),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ minLength: 65, maxLength: 300 }),
);
// why: not "__proto__" as a map key: ts-proto (and toWirePoint) assign entries with obj[key] = value, which sets the
// prototype instead; decode.test.ts covers that key against the fast decoder alone.
const key = name.filter((s) => s !== "__proto__");
const float = fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2));
// Integer edges: one varint byte, 2^53 (where the encoder leaves plain numbers), the int64 and uint64 ends, and
// values above uint64 (clamped to its maximum, as toWireField does).
const integer = fc.oneof(
  fc.constantFrom(0n, 1n, 127n, 128n, (1n << 53n) - 1n, 1n << 53n, (1n << 32n) - 1n, 1n << 32n, I64_MAX, 1n << 63n, U64_MAX, U64_MAX + 5n, -1n, -128n, I64_MIN),
  fc.bigInt({ min: 0n, max: 1n << 53n }),
  fc.bigInt({ min: I64_MIN, max: U64_MAX }),
  fc.bigInt({ min: I64_MIN, max: -1n }),
);
const value: fc.Arbitrary<FieldValue> = fc.oneof(float, integer, fc.boolean(), name);
const sample: fc.Arbitrary<Sample> = fc.record({
  measurement: name,
  tags: fc.dictionary(key, name, { maxKeys: 6, noNullPrototype: true }),
  fields: fc.dictionary(key, value, { maxKeys: 8, noNullPrototype: true }),
  timeNs: fc.oneof(fc.constant(0n), fc.constant(1_800_000_000_123_456_789n), fc.bigInt({ min: I64_MIN, max: I64_MAX })),
});
interface WireBatch {
  agentId: string;
  seq: bigint;
  points: Sample[];
  createdNs: bigint;
}
const batch: fc.Arbitrary<WireBatch> = fc.record({
  agentId: name,
  seq: fc.oneof(fc.constantFrom(0n, 1n, U64_MAX), fc.bigInt({ min: 0n, max: U64_MAX })),
  // Many points, some sharing one frozen tags object and one time as samplers' points of one tick do.
  points: fc
    .tuple(fc.array(sample, { maxLength: 40 }), fc.boolean())
    .map(([points, tick]) => (tick && points.length > 0 ? points.map((p) => ({ ...p, tags: Object.freeze((points[0] as Sample).tags), timeNs: (points[0] as Sample).timeNs })) : points)),
  createdNs: fc.oneof(fc.constant(0n), fc.bigInt({ min: I64_MIN, max: I64_MAX })),
});

/** The batch as ts-proto's message. */
const message = (b: WireBatch): Batch => ({ agentId: b.agentId, seq: b.seq, points: b.points.map(toWirePoint), createdNs: b.createdNs });
/** The samples a receiver gets back: a uint64 above its maximum arrives clamped. */
const received = (b: WireBatch): Sample[] => b.points.map((p) => fromWirePoint(toWirePoint(p)));

function assertDecoded(got: DecodedBatch, b: WireBatch, how: string): void {
  assert.equal(got.agentId, b.agentId, how);
  assert.equal(got.seq, b.seq, how);
  assert.equal(got.createdNs, b.createdNs, how);
  assert.deepEqual(got.points, received(b), how);
  assert.equal(got.shapes.length, b.points.length, how);
  assert.equal(got.series.length, b.points.length, how);
  // Only value problems the codec carries faithfully and validation rejects later.
  assert.deepEqual(got.problems.filter((p) => !/is not finite|longer than/.test(p.text)), [], how);
}

describe("wire codec round trip (fast codec vs ts-proto)", () => {
  it("fast encode -> ts-proto decode, ts-proto encode -> fast decode and fast encode -> fast decode give the batch back", () => {
    const encoder = new BatchEncoder();
    fc.assert(
      fc.property(batch, (b) => {
        const reference = Buffer.from(Batch.encode(message(b)).finish());
        const frame = encoder.encode(b.agentId, b.seq, b.points, b.createdNs);
        const bare = encoder.encodeBatch(b.agentId, b.seq, b.points, b.createdNs);
        // fast encode: ts-proto's bytes, so ts-proto decodes the batch.
        assert.deepEqual(bare, reference, "Batch bytes");
        assert.deepEqual(frame, Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: message(b) } }).finish()), "AgentMessage bytes");
        assert.deepEqual(Batch.decode(bare), message(b), "ts-proto decodes the fast Batch");
        assert.deepEqual(AgentMessage.decode(frame).msg, { $case: "batch", value: message(b) }, "ts-proto decodes the fast frame");
        // ts-proto encode -> fast decode.
        assertDecoded(decodeBatch(reference, LIMITS), b, "fast decode of ts-proto's Batch");
        // fast encode -> fast decode, as NATS (bare Batch) and gRPC (the batch inside an AgentMessage) carry it.
        assertDecoded(decodeBatch(bare, LIMITS), b, "fast decode of the fast Batch");
        const at = agentMessageBatch(frame);
        assert.ok(at, "the frame holds a batch");
        assertDecoded(decodeBatch(frame, LIMITS, at.start, at.end), b, "fast decode of the fast frame");
      }),
      { numRuns: 300 },
    );
  });
});
