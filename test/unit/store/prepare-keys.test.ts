// The embedded store's batch preparation with the decoder's series and shape
// keys gives exactly what it computes without them.
import assert from "node:assert/strict";
import fc from "fast-check";
import { toWirePoint, type FieldValue, type Sample } from "@eastwest/common";
import { Batch } from "@eastwest/proto";
import { decodeBatch } from "../../../proto/src/wire/decode.ts";
import { prepareBatch } from "../../../collector/src/store/embedded/write.ts";

const name = fc.oneof(fc.constantFrom("interface", "host", "rx_bytes", "a b", "x=y", "c,d", "é"), fc.string({ maxLength: 6 }));
const value: fc.Arbitrary<FieldValue> = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), fc.string({ maxLength: 5 }));
// A few tag sets and field-name lists, reused across points, so that keys repeat.
const point = (tagSets: Array<Record<string, string>>, fieldSets: string[][]) =>
  fc.record({ t: fc.nat(tagSets.length - 1), f: fc.nat(fieldSets.length - 1), v: fc.array(value, { minLength: 8, maxLength: 8 }) }).map(
    ({ t, f, v }): Sample => ({
      measurement: "m",
      tags: tagSets[t] as Record<string, string>,
      fields: Object.fromEntries((fieldSets[f] as string[]).map((n, i) => [n, v[i] as FieldValue])),
      timeNs: 1_700_000_000_000_000_000n,
    }),
  );
const batch = fc
  .tuple(fc.array(fc.dictionary(name, name, { maxKeys: 3 }), { minLength: 1, maxLength: 3 }), fc.array(fc.uniqueArray(name, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }))
  .chain(([tagSets, fieldSets]) => fc.array(point(tagSets, fieldSets), { minLength: 1, maxLength: 20 }));

describe("embedded store: prepareBatch with decoder keys", () => {
  it("encodes tags and field sets as it does without keys (property)", () => {
    fc.assert(
      fc.property(batch, (samples) => {
        const buf = Buffer.from(Batch.encode({ agentId: "a", seq: 1n, points: samples.map(toWirePoint), createdNs: 0n }).finish());
        const d = decodeBatch(buf, { maxTagValueLength: 256, maxStringFieldLength: 4096 });
        const base = { agentId: "a", seq: 1n, receivedNs: 1n, points: d.points };
        assert.deepEqual(prepareBatch({ ...base, keys: { series: d.series, shapes: d.shapes } }), prepareBatch(base));
      }),
      { numRuns: 300 },
    );
  });
});
