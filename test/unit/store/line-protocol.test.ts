import assert from "node:assert/strict";
import type { Sample } from "@eastwest/common";
import { escapeKey, escapeMeasurement, fieldValue, quoteString, timestampAt, toLine, type LineOptions } from "../../../collector/src/store/influx/line-protocol.ts";

const NS: LineOptions = { precision: "ns", uint: "integer" };
const T = 1_700_000_000_123_456_789n;

function line(s: Sample, o: LineOptions = NS): string {
  const r = toLine(s, o);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.line;
}

function reason(s: Sample, o: LineOptions = NS): string {
  const r = toLine(s, o);
  assert.ok(!r.ok, "expected a refusal");
  return r.reason;
}

const netdev = (fields: Sample["fields"], tags: Record<string, string> = {}): Sample => ({
  measurement: "netdev",
  tags: { agent_id: "hv01", host: "h", netns: "", interface: "eth0", ...tags },
  fields,
  timeNs: T,
});

describe("line protocol: escaping", () => {
  const keys: Array<[string, string | undefined]> = [
    ["plain", "plain"],
    ["a b", "a\\ b"],
    ["a,b", "a\\,b"],
    ["a=b", "a\\=b"],
    ["C:\\dir", "C:\\dir"],
    ["ü\t\"x\"", "ü\t\"x\""],
    ["end\\", undefined],
    ["a\\,b", undefined],
    ["a\\\\b", undefined],
    ["two\nlines", undefined],
    ["cr\r", undefined],
  ];
  for (const [input, want] of keys) {
    it(`tag/field key or value ${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => assert.equal(escapeKey(input), want));
  }

  it("measurements escape commas and spaces but not '='; refuse '#' at the start and empty names", () => {
    assert.equal(escapeMeasurement("a b,c=d"), "a\\ b\\,c=d");
    assert.equal(escapeMeasurement("#comment"), undefined);
    assert.equal(escapeMeasurement(""), undefined);
    assert.equal(escapeMeasurement("x#"), "x#");
  });

  it("string fields quote, escaping double quotes and backslashes; refuse line breaks", () => {
    assert.equal(quoteString('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
    assert.equal(quoteString("a\nb"), undefined);
  });
});

describe("line protocol: values", () => {
  it("floats without suffix, keeping -0; never NaN or Infinity", () => {
    assert.deepEqual(fieldValue(1, "float", "integer"), { text: "1" });
    assert.deepEqual(fieldValue(-0, "float", "integer"), { text: "-0" });
    assert.deepEqual(fieldValue(1e21, "float", "integer"), { text: "1e+21" });
    assert.deepEqual(fieldValue(5e-324, "float", "integer"), { text: "5e-324" });
    for (const bad of [Number.NaN, Infinity, -Infinity]) assert.match((fieldValue(bad, "float", "integer") as { reason: string }).reason, /not finite/);
  });

  it("integers exact with 'i' across the int64 range", () => {
    assert.deepEqual(fieldValue(-(2n ** 63n), "int", "integer"), { text: "-9223372036854775808i" });
    assert.deepEqual(fieldValue(2n ** 63n - 1n, "uint", "integer"), { text: "9223372036854775807i" });
    assert.deepEqual(fieldValue(2n ** 53n + 1n, undefined, "integer"), { text: "9007199254740993i" });
  });

  it("a uint above 2^63-1 is refused in integer mode, written with 'u' in unsigned mode", () => {
    assert.match((fieldValue(2n ** 63n, "uint", "integer") as { reason: string }).reason, /outside int64 .*uintFields: unsigned/);
    assert.deepEqual(fieldValue(2n ** 64n - 1n, "uint", "unsigned"), { text: "18446744073709551615u" });
    assert.deepEqual(fieldValue(7n, "uint", "unsigned"), { text: "7u" });
    assert.match((fieldValue(2n ** 64n, "uint", "unsigned") as { reason: string }).reason, /outside uint64/);
  });

  it("'u' only for schema-declared uint fields, so a field's type never flips with its value", () => {
    assert.deepEqual(fieldValue(7n, "int", "unsigned"), { text: "7i" });
    assert.deepEqual(fieldValue(7n, undefined, "unsigned"), { text: "7i" });
    assert.match((fieldValue(2n ** 63n, "int", "unsigned") as { reason: string }).reason, /outside int64/);
  });

  it("booleans as true/false", () => {
    assert.deepEqual(fieldValue(true, "bool", "integer"), { text: "true" });
    assert.deepEqual(fieldValue(false, undefined, "integer"), { text: "false" });
  });
});

describe("line protocol: timestamps", () => {
  it("converts epoch ns to the write precision by floor division", () => {
    assert.equal(timestampAt(T, "ns"), T);
    assert.equal(timestampAt(T, "us"), 1_700_000_000_123_456n);
    assert.equal(timestampAt(T, "ms"), 1_700_000_000_123n);
    assert.equal(timestampAt(T, "s"), 1_700_000_000n);
    assert.equal(timestampAt(-1n, "ms"), -1n);
    assert.equal(timestampAt(-1_000_000n, "ms"), -1n);
  });
});

describe("line protocol: points", () => {
  it("writes a schema point: sorted tags, empty tags left out, types from the schema", () => {
    const s = netdev({ rx_bytes_total: 123n, rx_bytes_per_s: 1.5 });
    assert.equal(line(s), `netdev,agent_id=hv01,host=h,interface=eth0 rx_bytes_total=123i,rx_bytes_per_s=1.5 ${T}`);
    assert.equal(line(s, { precision: "ms", uint: "unsigned" }), `netdev,agent_id=hv01,host=h,interface=eth0 rx_bytes_total=123u,rx_bytes_per_s=1.5 1700000000123`);
  });

  it("escapes tag values from the wild", () => {
    const s = netdev({ rx_bytes_per_s: 2 }, { interface: "br 0,x=y" });
    assert.equal(line(s), `netdev,agent_id=hv01,host=h,interface=br\\ 0\\,x\\=y rx_bytes_per_s=2 ${T}`);
  });

  it("measurements outside the schema: bigint is always 'i'", () => {
    const s: Sample = { measurement: "custom", tags: {}, fields: { n: 5n, ok: true, s: "x" }, timeNs: 1n };
    assert.equal(line(s, { precision: "ns", uint: "unsigned" }), 'custom n=5i,ok=true,s="x" 1');
  });

  it("refuses with a reason naming the field or tag", () => {
    assert.match(reason(netdev({ rx_bytes_per_s: Number.NaN })), /^field rx_bytes_per_s: float NaN is not finite$/);
    assert.match(reason(netdev({ rx_bytes_total: 2n ** 64n - 1n })), /^field rx_bytes_total: integer 18446744073709551615 is outside int64/);
    assert.match(reason(netdev({ rx_bytes_per_s: 1 }, { interface: "eth0\\" })), /^tag interface: value "eth0\\\\" cannot be written/);
    assert.match(reason(netdev({})), /at least one field/);
    assert.match(reason({ measurement: "#x", tags: {}, fields: { a: 1 }, timeNs: 1n }), /measurement "#x"/);
  });
});
