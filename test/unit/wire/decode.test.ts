// The single-pass batch decoder in the cases particular to it: keys that identify shapes and series exactly (also
// across interner generations), "__proto__" entries, value problems, unknown fields, malformed frames rejected
// with DecodeError, and finding the batch in an AgentMessage frame. Random batches of every value kind against
// ts-proto: roundtrip.test.ts.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromWirePoint, toWirePoint, type FieldValue, type Sample } from "@eastwest/common";
import { AgentMessage, Batch, type Point } from "@eastwest/proto";
import { agentMessageBatch, decodeBatch } from "../../../proto/src/wire/decode.ts";
import { parseShape } from "../../../proto/src/wire/point-keys.ts";
import { DecodeError } from "../../../proto/src/wire/reader.ts";

const LIMITS = { maxTagValueLength: 256, maxStringFieldLength: 4096 };

const encode = (b: Batch): Buffer => Buffer.from(Batch.encode(b).finish());
const decode = (buf: Buffer) => decodeBatch(buf, LIMITS);

// Names that stress the decoder: interned ASCII, long ones (decoded alone), multi-byte UTF-8, separators of the key formats.
const name = fc.oneof(
  fc.constantFrom("rx_bytes", "tx_bytes", "cpu", "interface", "a", "", "__proto__", "1:x", "T", "F", "toString", "x:yT"),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ minLength: 65, maxLength: 80 }),
);
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: -1n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.boolean(),
  fc.string({ maxLength: 20 }),
);
// why: ts-proto assigns map entries with obj[key] = value, so its "__proto__" entries vanish; a separate test covers them.
const key = name.filter((s) => s !== "__proto__");
const sample: fc.Arbitrary<Sample> = fc.record({
  measurement: name,
  tags: fc.dictionary(key, name, { maxKeys: 5 }),
  fields: fc.dictionary(key, fieldValue, { maxKeys: 6 }),
  timeNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
});
const batchOf = (points: Point[], seq = 1n): Batch => ({ agentId: "agent-1", seq, points, createdNs: 1_700_000_000_000_000_000n });

/** What the generated decoder and fromWirePoint make of the same bytes. */
function reference(buf: Buffer): Batch & { samples: Sample[] } {
  const b = Batch.decode(buf);
  return { ...b, samples: b.points.map(fromWirePoint) };
}

describe("decodeBatch (wire/decode.ts)", () => {
  it("gives equal shape keys exactly to points with equal measurement, tag keys and field names and types", () => {
    const typeOf = (v: FieldValue) => (typeof v === "number" ? "f" : typeof v === "bigint" ? (v < 0n ? "i" : "u") : typeof v === "boolean" ? "b" : "s");
    fc.assert(
      fc.property(fc.array(sample, { minLength: 2, maxLength: 10 }), (samples) => {
        const got = decode(encode(batchOf(samples.map(toWirePoint))));
        const structure = samples.map((s) => JSON.stringify([s.measurement, Object.keys(s.tags), Object.entries(s.fields).map(([k, v]) => [k, typeOf(v)])]));
        const series = samples.map((s) => JSON.stringify([s.measurement, Object.entries(s.tags)]));
        for (let i = 0; i < samples.length; i++) {
          const shape = parseShape(got.shapes[i] as string);
          assert.equal(shape.measurement, samples[i]?.measurement);
          assert.deepEqual(shape.tags, Object.keys(samples[i]?.tags ?? {}));
          for (let j = 0; j < samples.length; j++) {
            assert.equal(got.shapes[i] === got.shapes[j], structure[i] === structure[j], `shapes of ${i} and ${j}`);
            assert.equal(got.series[i] === got.series[j], series[i] === series[j], `series of ${i} and ${j}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("stays exact across interner generations (more distinct names than the interner holds)", () => {
    // 9,000 distinct interface names overflow the 8,192-entry interner mid-batch, twice over two batches.
    const points = (k: number) =>
      Array.from({ length: 9_000 }, (_, i) =>
        toWirePoint({ measurement: "netdev", tags: { interface: `if${k}_${i}`, host: "h" }, fields: { [`f${i % 7}`]: BigInt(i) }, timeNs: 1n }),
      );
    for (const k of [1, 2]) {
      const buf = encode(batchOf(points(k)));
      const got = decode(buf);
      assert.deepEqual(got.points, reference(buf).samples);
      assert.equal(new Set(got.series).size, 9_000);
      assert.equal(new Set(got.shapes).size, 7);
    }
  });

  it("keeps __proto__ as an own entry instead of setting the prototype", () => {
    const fields = JSON.parse('{"__proto__":{"value":{"$case":"f","value":1.5}}}') as Point["fields"];
    const buf = encode(batchOf([{ measurement: "m", tags: JSON.parse('{"__proto__":"x"}') as Point["tags"], fields, timeNs: 1n }]));
    const p = decode(buf).points[0] as Sample;
    assert.deepEqual(Object.keys(p.tags), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(p.fields), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(p.fields, "__proto__")?.value, 1.5);
    // ts-proto drops such a tag and sets the prototype for such a field: a problem, so validation refuses the point.
    assert.deepEqual(decode(buf).problems.map((x) => x.text), ["tag name __proto__ is reserved", "field name __proto__ is reserved"]);
  });

  it("notes values that are not valid UTF-8, keeps repeated map keys in the shape; a repeated FieldValue replaces the first whole", () => {
    const entry = (key: string, value: Buffer) => Buffer.concat([Buffer.from([0x0a, key.length]), Buffer.from(key), value]);
    const len = (field: number, body: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
    const str = (field: number, bytes: number[]) => len(field, Buffer.from(bytes));
    const point = Buffer.concat([
      str(1, [...Buffer.from("m")]),
      len(2, entry("t", str(2, [0x61, 0xc0, 0xaf]))),
      len(2, entry("t", str(2, [0x62]))),
      len(3, entry("f", Buffer.concat([len(2, Buffer.from([0x18, 0x05])), len(2, Buffer.alloc(0))]))),
      len(3, entry("s", len(2, str(5, [0xed, 0xa0, 0x80])))),
    ]);
    const got = decode(len(3, point));
    assert.deepEqual(got.problems.map((x) => x.text), ["tag t is not valid UTF-8", "field f has no value", "field s is not valid UTF-8"]);
    assert.equal(got.points[0]?.tags["t"], "b");
    assert.deepEqual(parseShape(got.shapes[0] as string).tags, ["t", "t"], "validation sees the repeated key");
  });

  it("notes value problems without throwing: no value, non-finite float, over-long strings", () => {
    const point: Point = {
      measurement: "m",
      tags: { long: "x".repeat(257) },
      fields: { none: { value: undefined }, nan: { value: { $case: "f", value: Number.NaN } }, text: { value: { $case: "s", value: "y".repeat(4097) } }, ok: { value: { $case: "u", value: 1n } } },
      timeNs: 1n,
    };
    const got = decode(encode(batchOf([point])));
    assert.deepEqual(got.problems.map((p) => `${p.point}: ${p.text}`).sort(), [
      "0: field nan is not finite",
      "0: field none has no value",
      "0: limit maxStringFieldLength: field text longer than 4096",
      "0: limit maxTagValueLength: tag long longer than 256",
    ]);
    assert.deepEqual(Object.keys(got.points[0]?.fields ?? {}), ["nan", "text", "ok"]);
    assert.match(got.shapes[0] as string, /4:none-/);
  });

  it("skips unknown fields and known fields of another wire type, as the generated code does", () => {
    const body = encode(batchOf([toWirePoint({ measurement: "m", tags: { t: "v" }, fields: { f: 2n }, timeNs: 5n })]));
    // Unknown field 9 (varint, fixed64, length-delimited, fixed32) and field 2 (seq) sent as length-delimited.
    const extra = Buffer.from([0x48, 0x96, 0x01, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 0x02, 0x61, 0x62, 0x4d, 1, 2, 3, 4, 0x12, 0x01, 0x07]);
    const buf = Buffer.concat([body, extra]);
    assert.deepEqual(decode(buf).points, reference(buf).samples);
    assert.equal(decode(buf).seq, reference(buf).seq);
  });

  it("throws DecodeError on every truncation and on garbage, never another error", () => {
    const buf = encode(batchOf([toWirePoint({ measurement: "netdev", tags: { interface: "eth0" }, fields: { rx: 1n, f: 0.5, s: "x", b: true }, timeNs: 2n ** 62n })]));
    for (let cut = 1; cut < buf.length; cut++) {
      try {
        decode(buf.subarray(0, cut));
      } catch (err) {
        assert.ok(err instanceof DecodeError, `cut at ${cut}: ${String(err)}`);
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decode(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof DecodeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => decode(Buffer.from([0x0a, 0x05, 0x61])), /truncated length-delimited field/);
    assert.throws(() => decode(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /varint longer than 10 bytes/);
    assert.throws(() => decode(Buffer.from([0x0b])), /invalid tag 11 \(field 1, wire type 3\)/);
    assert.throws(() => decode(Buffer.from([0x00])), /invalid tag 0 \(field 0/);
  });
});

describe("agentMessageBatch", () => {
  it("finds the batch of an AgentMessage frame and nothing in other messages", () => {
    const b = batchOf([toWirePoint({ measurement: "m", tags: {}, fields: { f: 1n }, timeNs: 1n })]);
    const frame = Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: b } }).finish());
    const at = agentMessageBatch(frame);
    assert.ok(at);
    assert.deepEqual(decodeBatch(frame, LIMITS, at.start, at.end).points, b.points.map(fromWirePoint));
    const result = Buffer.from(AgentMessage.encode({ msg: { $case: "result", value: { id: "c1", ok: true, error: "", json: "{}", startedNs: 0n, finishedNs: 0n } } }).finish());
    assert.equal(agentMessageBatch(result), undefined);
    assert.equal(agentMessageBatch(Buffer.alloc(0)), undefined);
    // Two messages in one frame (the oneof's last would win) are refused: decoders differ on which one counts.
    const hello = Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: { agentId: "a", role: 1, hostname: "", kernel: "", machineUuid: "", netns: "", capabilities: [], agentVersion: "", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined } } }).finish());
    assert.throws(() => agentMessageBatch(Buffer.concat([frame, hello])), DecodeError);
    assert.throws(() => agentMessageBatch(Buffer.concat([hello, frame])), /more than one message in one frame/);
  });
});
