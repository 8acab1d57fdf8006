// Property: whatever the tag names and values (any Unicode, lone surrogates, reserved prefixes, digits, empties),
// a stored point's Prometheus series has valid, unique label names sorted by name with __name__, no empty value,
// and values that survive UTF-8 (what Prometheus requires of remote-write and of the exposition).
import assert from "node:assert/strict";
import fc from "fast-check";
import { LABEL_NAME_RE, METRIC_NAME_RE } from "@eastwest/common/prom";
import { labelName, pointSamples, seriesLabels } from "../../../collector/src/sink/prom/labels.ts";

const text = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: fc.constantFrom("_", "a", "0", ":", "-", ".", " ", "\uD800", "\uDC00", "é", "__"), maxLength: 8 }), fc.constantFrom("__name__", "__x", "1abc", "", "agent_id"));

describe("Prometheus label mapping (property)", () => {
  it("any tag set gives valid, unique, sorted labels with UTF-8-safe values", () => {
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 8 }), fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/), (tags, name) => {
        const labels = seriesLabels(name, tags);
        assert.equal(labels.filter((l) => l.name === "__name__").length, 1);
        const names = labels.map((l) => l.name);
        assert.deepEqual(names, [...names].sort());
        assert.equal(new Set(names).size, names.length);
        for (const l of labels) {
          assert.match(l.name, LABEL_NAME_RE);
          if (l.name !== "__name__") assert.ok(!l.name.startsWith("__"), l.name);
          assert.notEqual(l.value, "");
          assert.equal(Buffer.from(l.value, "utf8").toString("utf8"), l.value);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid tag name maps to itself; others to a valid name", () => {
    fc.assert(
      fc.property(text, (t) => {
        const n = labelName(t);
        if (t === "") return assert.equal(n, "");
        assert.match(n, LABEL_NAME_RE);
        if (LABEL_NAME_RE.test(t) && !t.startsWith("__")) assert.equal(n, t);
      }),
      { numRuns: 2000 },
    );
  });

  it("any tag text on a schema measurement gives valid metric names and the field values", () => {
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 5 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (tags, v) => {
        for (const s of pointSamples("netdev", tags, { rx_bytes_total: v, tx_bytes_total: v, rx_bytes_per_s: 1.5 })) {
          assert.match(s.family.name, METRIC_NAME_RE);
          assert.equal(s.value, Number(v));
        }
      }),
      { numRuns: 500 },
    );
  });
});
