import assert from "node:assert/strict";
import fc from "fast-check";
import type { FieldValue } from "@eastwest/common";
import { decodeFields, decodeNames, encodeFields, encodeNameList, sortedTagsJson, tagKey } from "../../../collector/src/store/codec.ts";
import { parseExact, stringifyExact } from "../../../collector/src/store/json.ts";

const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

function roundTrip(fields: Record<string, FieldValue>): Record<string, FieldValue> {
  const enc = encodeFields(fields);
  assert.ok(enc.ok, enc.ok ? "" : enc.reason);
  return decodeFields(decodeNames(enc.names), enc.values);
}

describe("store codec: fields", () => {
  it("keeps each value's type: integral floats stay floats, integers stay bigint", () => {
    const fields = { f: 1, g: -0, h: 1e21, i: 5n, b: false, s: "x\"y", tiny: 5e-324 };
    const back = roundTrip(fields);
    assert.deepEqual(back, fields);
    assert.equal(typeof back.f, "number");
    assert.ok(Object.is(back.g, -0));
  });

  it("splits names from values, with the type in the number syntax", () => {
    assert.deepEqual(encodeFields({ a: 1, b: 1n, c: "1", d: true }), {
      ok: true,
      names: '["a","b","c","d"]',
      values: '[1.0,1,"1",true]',
    });
  });

  it("keeps 2^63-1, 2^53+1, 2^64-1 and -2^63 exact", () => {
    const fields = { a: I64_MAX, b: 2n ** 53n + 1n, c: U64_MAX, d: -(2n ** 63n) };
    assert.deepEqual(roundTrip(fields), fields);
  });

  it("refuses what no store can hold, naming the field", () => {
    assert.deepEqual(encodeFields({ x: NaN }), { ok: false, reason: "field x: NaN cannot be stored" });
    assert.deepEqual(encodeFields({ x: U64_MAX + 1n }), { ok: false, reason: `field x: integer ${U64_MAX + 1n} cannot be stored` });
    assert.equal(encodeFields({ x: null as unknown as FieldValue }).ok, false);
    assert.equal(encodeFields({}).ok, false);
  });

  it("round-trips any field set (property)", () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.bigInt({ min: -(2n ** 63n), max: U64_MAX }),
      fc.boolean(),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), value, { minKeys: 1 }), (fields) => {
        assert.deepEqual(roundTrip(fields), { ...fields });
      }),
    );
  });
});

describe("store codec: tags", () => {
  it("gives one key for one tag set, whatever the insertion order", () => {
    assert.equal(tagKey({ b: "2", a: "1" }), "a=1,b=2");
    assert.equal(tagKey({ a: "1", b: "2" }), "a=1,b=2");
    assert.equal(tagKey({}), "");
    assert.equal(sortedTagsJson({ b: "2", a: "1" }), '{"a":"1","b":"2"}');
  });

  it("escapes so that different tag sets never share a key", () => {
    assert.equal(tagKey({ a: "x,b=y" }), "a=x\\,b\\=y");
    assert.notEqual(tagKey({ a: "x,b=y" }), tagKey({ a: "x", b: "y" }));
    assert.notEqual(tagKey({ a: "x\\" }), tagKey({ "a": "x\\\\" }));
  });

  it("is injective (property)", () => {
    const tags = fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 });
    fc.assert(
      fc.property(tags, tags, (a, b) => {
        if (sortedTagsJson(a) !== sortedTagsJson(b)) assert.notEqual(tagKey(a), tagKey(b));
        else assert.equal(tagKey(a), tagKey(b));
      }),
    );
  });
});

describe("exact JSON", () => {
  it("writes bigints as JSON numbers with every digit", () => {
    assert.equal(stringifyExact({ a: I64_MAX, b: [2n ** 53n + 1n], c: 1.5, d: NaN }), '{"a":9223372036854775807,"b":[9007199254740993],"c":1.5,"d":null}');
    assert.equal(stringifyExact(undefined), "null");
  });

  it("reads integers beyond 2^53 back as bigint and leaves the rest alone", () => {
    assert.deepEqual(parseExact('{"a":9223372036854775807,"b":42,"c":1e300,"d":[18446744073709551615]}'), {
      a: I64_MAX,
      b: 42,
      c: 1e300,
      d: [U64_MAX],
    });
  });
});

describe("store codec: field sets (encodeNameList)", () => {
  const name = fc.string({ maxLength: 12 });
  /** A rollup's columns (rollup.ts) from fields, each numeric or not. */
  const rollupColumns = (fields: Array<[string, boolean]>) => ["n", "t_last", ...fields.flatMap(([f, numeric]) => (numeric ? [`${f}|last`, `${f}|min`, `${f}|max`, `${f}|sum`] : [`${f}|last`]))];

  it("a rollup's columns are written by their fields and read back the same", () => {
    const cols = rollupColumns([["rx_bytes_total", true], ["state", false], ["a|b", true]]);
    const text = encodeNameList(cols);
    assert.equal(text, '{"rollup":["rx_bytes_total","state","a|b"],"last_only":[1]}');
    assert.deepEqual(decodeNames(text), cols);
    assert.equal(encodeNameList(rollupColumns([["x", true]])), '{"rollup":["x"]}');
    assert.deepEqual(decodeNames('{"rollup":[]}'), ["n", "t_last"]);
  });

  it("any list of names reads back as written; never longer than spelled out", () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(name, { maxLength: 12 }), fc.array(fc.tuple(name, fc.boolean()), { maxLength: 8 }).map(rollupColumns), fc.array(fc.constantFrom("n", "t_last", "x|last", "x|min", "x|max", "x|sum", "y|last"), { maxLength: 10 })), (names) => {
        const text = encodeNameList(names);
        assert.deepEqual(decodeNames(text), names);
        assert.ok(text.length <= JSON.stringify(names).length, text);
        if (!text.startsWith("{")) assert.equal(text, JSON.stringify(names));
      }),
      { numRuns: 500 },
    );
  });

  it("text that is neither form is an error, not a field set", () => {
    for (const bad of ['{"rollup":"x"}', '{"rollup":[1]}', '{"rollup":["a"],"last_only":["0"]}', "{}", "null"]) {
      assert.throws(() => decodeNames(bad), SyntaxError, bad);
    }
  });
});
