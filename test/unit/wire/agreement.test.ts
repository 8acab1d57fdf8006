// The fast decoder (proto/src/wire/decode.ts, through collector/src/ingest/decode.ts) against ts-proto's generated
// decoders, over random bytes and mutated valid frames (test/fuzz/mutate.ts): where the fast path accepts a frame
// (no DecodeError, no value problem, valid), the generated decoder reads the same message with the same content;
// everything else is refused. And the receive path's pure steps (decode, validate) never throw anything but a
// refusal. A frame that once read as a hello to one decoder and a batch to the other crashed the collector.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fromWirePoint } from "@eastwest/common";
import { AgentMessage, Batch, Point } from "@eastwest/proto";
import { decodeAgentMessage, decodeWithLimits, tryDecode, type DecodedBatch } from "../../../collector/src/ingest/decode.ts";
import { validateBatch, validateHello } from "../../../collector/src/ingest/validate.ts";
import { mutate, seeded } from "../../fuzz/mutate.ts";
import { HOSTILE, validBatch, validFrame } from "../../fuzz/frames.ts";

const NOW = 1_800_000_000_000_000_000n;

/** The fast path's batch equals what ts-proto and fromWirePoint make of the same Batch. */
function assertSameBatch(ours: DecodedBatch, theirs: Batch): void {
  assert.equal(ours.agentId, theirs.agentId);
  assert.equal(ours.seq, theirs.seq);
  assert.equal(ours.createdNs, theirs.createdNs);
  assert.deepEqual(ours.points, theirs.points.map(fromWirePoint));
}

/** Accepted by the whole pure path: decoded without problems and valid (validation itself must not throw). */
function accepted(b: DecodedBatch): boolean {
  const v = validateBatch(b, NOW);
  return b.problems.length === 0 && v.ok;
}

function checkFrame(frame: Buffer): void {
  const d = tryDecode(frame, decodeAgentMessage);
  if (!d.ok) return;
  let theirs: AgentMessage;
  try {
    theirs = AgentMessage.decode(frame);
  } catch (err) {
    // ts-proto refuses what the fast path accepted: allowed only when the fast path refuses it later.
    if (d.value?.$case === "batch") assert.ok(!accepted(d.value.value), `ts-proto throws (${String(err)}) on an accepted batch ${frame.toString("hex")}`);
    else assert.fail(`ts-proto throws on a frame the receiver read as ${d.value?.$case}: ${frame.toString("hex")}`);
    return;
  }
  assert.equal(d.value?.$case, theirs.msg?.$case, `message kind of ${frame.toString("hex")}`);
  if (d.value?.$case === "batch" && theirs.msg?.$case === "batch") {
    if (accepted(d.value.value)) assertSameBatch(d.value.value, theirs.msg.value);
  } else if (d.value?.$case === "hello") {
    validateHello(d.value.value);
  }
}

function checkNatsMessage(bytes: Buffer): void {
  const d = tryDecode(bytes, (b) => decodeWithLimits(b));
  if (!d.ok || !accepted(d.value)) return;
  assertSameBatch(d.value, Batch.decode(bytes));
}

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe("decoder agreement (fast decoder vs ts-proto) and the receive path's pure steps", () => {
  it("random bytes: refused, or read alike by both decoders", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        checkFrame(Buffer.from(bytes));
        checkNatsMessage(Buffer.from(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated valid frames (gRPC AgentMessage and NATS Batch): refused, or read alike by both decoders", () => {
    fc.assert(
      fc.property(seed, (s) => {
        const rng = seeded(s);
        checkFrame(mutate(validFrame(rng, "fuzz-1"), rng, validFrame(rng, "fuzz-2")));
        const bare = Buffer.from(Batch.encode(validBatch(rng, "fuzz-1", 7n)).finish());
        checkNatsMessage(mutate(bare, rng, Buffer.from(Batch.encode(validBatch(rng, "fuzz-2", 8n)).finish())));
      }),
      { numRuns: 20_000 },
    );
  });

  it("every hostile frame kind of the fuzzer is refused or read alike, without a throw", () => {
    for (const [kind, make] of Object.entries(HOSTILE)) {
      if (kind === "hello_12mb") continue;
      for (let s = 0; s < 30; s++) assert.doesNotThrow(() => checkFrame(make(seeded(s), "fuzz-1")), kind);
    }
  });

  it("refuses the frames that read as different messages: field 0, group tags, two messages in one frame", () => {
    const batch = Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: validBatch(seeded(1), "a", 1n) } }).finish());
    const hello = validFrame(seeded(3), "a").subarray(0, 0);
    // A batch, a field-0 tag, then a hello: ts-proto stops at the 0 and sees the batch; the frame scan saw a hello last.
    const helloFrame = Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: { agentId: "a", role: 1, hostname: "", kernel: "", machineUuid: "", netns: "", capabilities: [], agentVersion: "", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined } } }).finish());
    for (const frame of [Buffer.concat([batch, Buffer.from([0x00]), helloFrame]), Buffer.concat([batch, helloFrame]), Buffer.concat([batch, Buffer.from([0x0c])]), Buffer.concat([hello, batch, Buffer.from([0x0b])])]) {
      const d = tryDecode(frame, decodeAgentMessage);
      assert.equal(d.ok, false, frame.toString("hex"));
    }
    // A point with a repeated tag entry: both decoders keep the last value; validation refuses the point.
    const point = Buffer.from(Point.encode((validBatch(seeded(1), "a", 1n).points[0] as Point)).finish());
    const entry = Buffer.from([0x12, 17, 0x0a, 9, ...Buffer.from("interface"), 0x12, 4, ...Buffer.from("eth9")]);
    const body = Buffer.concat([point, entry]);
    const frame = Buffer.concat([Buffer.from([0x0a, 1, 0x61, 0x10, 1, 0x1a, (body.length & 0x7f) | 0x80, body.length >> 7]), body]);
    const d = decodeWithLimits(Buffer.from(frame));
    assert.equal(d.points[0]?.tags["interface"], Batch.decode(frame).points[0]?.tags["interface"]);
    const v = validateBatch(d, NOW);
    assert.ok(!v.ok && /a tag appears twice/.test(v.reason), JSON.stringify(v));
  });
});
