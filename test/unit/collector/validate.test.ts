// Batch validation: shape checks are cached per shape, value checks run on every point.
// Batches go through the wire and the collector's decoder, as they do in production.
import assert from "node:assert/strict";
import { nowNs, toWirePoint } from "@eastwest/common";
import { Batch } from "@eastwest/proto";
import { decodeWithLimits } from "../../../collector/src/ingest/decode.ts";
import { validateBatch as validateDecoded } from "../../../collector/src/ingest/validate.ts";

const validateBatch = (b: Batch, now: bigint, hello?: string) => validateDecoded(decodeWithLimits(Buffer.from(Batch.encode(b).finish())), now, hello);

const now = nowNs();
const agentPoint = (fields: Record<string, number | bigint | boolean>) =>
  toWirePoint({ measurement: "eastwest_agent", tags: { agent_id: "a1" }, fields, timeNs: now });
const batch = (points: Batch["points"]): Batch => ({ agentId: "a1", seq: 1n, points, createdNs: now });

describe("validateBatch", () => {
  it("accepts schema-conforming points and converts them", () => {
    const v = validateBatch(batch([agentPoint({ buffered_batches: 3n, connected: true })]), now, "a1");
    assert.ok(v.ok);
    assert.deepEqual(v.points[0]?.fields, { buffered_batches: 3n, connected: true });
  });

  it("checks values on every point even when the shape was seen before", () => {
    assert.ok(validateBatch(batch([agentPoint({ rss_bytes: 1n })]), now).ok);
    const bad = agentPoint({ rss_bytes: 1n });
    bad.fields["rss_bytes"] = { value: { $case: "i", value: -5n } };
    const v = validateBatch(batch([agentPoint({ rss_bytes: 2n }), bad]), now);
    assert.ok(!v.ok);
    assert.match(v.reason, /point 1 \(eastwest_agent\): field rss_bytes is int, schema says uint/);
    const late = agentPoint({ rss_bytes: 1n });
    late.timeNs = now + 48n * 3600n * 1_000_000_000n;
    const v2 = validateBatch(batch([late]), now);
    assert.ok(!v2.ok && /outside 2000-01-01/.test(v2.reason));
  });

  it("reports shape problems with the point index each time", () => {
    const wrong = toWirePoint({ measurement: "eastwest_agent", tags: { agent_id: "a1", extra: "x" }, fields: { connected: 1.5 }, timeNs: now });
    for (let i = 0; i < 2; i++) {
      const v = validateBatch(batch([agentPoint({ connected: true }), wrong]), now);
      assert.ok(!v.ok);
      assert.match(v.reason, /point 1 \(eastwest_agent\): tags \{agent_id,extra\} differ/);
      assert.match(v.reason, /field connected is float, schema says bool/);
    }
  });

  it("reports value problems found while decoding with the point index", () => {
    const p = agentPoint({ connected: true });
    p.fields["rss_bytes"] = { value: undefined };
    p.fields["cpu_seconds_total"] = { value: { $case: "f", value: Number.POSITIVE_INFINITY } };
    const v = validateBatch(batch([agentPoint({ connected: true }), p]), now);
    assert.ok(!v.ok);
    assert.match(v.reason, /point 1 \(eastwest_agent\): field rss_bytes has no value/);
    assert.match(v.reason, /point 1 \(eastwest_agent\): field cpu_seconds_total is not finite/);
  });

  it("accepts a non-negative int where the schema says uint and an uint where it says int", () => {
    const p = agentPoint({ connected: true });
    p.fields["rss_bytes"] = { value: { $case: "i", value: 7n } };
    const v = validateBatch(batch([p]), now);
    assert.ok(v.ok, v.ok ? "" : v.reason);
    assert.equal(v.points[0]?.fields["rss_bytes"], 7n);
  });

  it("caps the reasons and says there are more", () => {
    const bad = Array.from({ length: 30 }, () => toWirePoint({ measurement: "Bad-Name", tags: {}, fields: { x: 1 }, timeNs: now }));
    const v = validateBatch(batch(bad), now);
    assert.ok(!v.ok);
    assert.equal(v.reason.split("; ").length, 11);
    assert.match(v.reason, /; and more$/);
  });

  it("refuses an agent id that differs from the stream's hello", () => {
    const v = validateBatch(batch([agentPoint({ connected: true })]), now, "someone-else");
    assert.ok(!v.ok && /differs from the stream's hello/.test(v.reason));
  });
});
