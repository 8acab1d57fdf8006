// Property tests of the line-protocol writer against a small reader that follows
// InfluxDB 1.x's scanner: a backslash takes the next character with it; only
// "\," "\=" "\ " (tags, field keys) and "\," "\ " (measurements) are unescaped;
// in string fields "\"" and "\\" are.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { FieldValue, Sample } from "@eastwest/common";
import { escapeKey, escapeMeasurement, toLine, type LineOptions } from "../../../collector/src/store/influx/line-protocol.ts";

interface Parsed {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  time: bigint;
}

/** Reads one raw token up to an unescaped stop character; returns it and the index of the stop (or the end). */
function scan(text: string, from: number, stops: string): [string, number] {
  let i = from;
  while (i < text.length && !stops.includes(text[i] as string)) i += text[i] === "\\" ? 2 : 1;
  return [text.slice(from, Math.min(i, text.length)), Math.min(i, text.length)];
}

/** Sets an own property, "__proto__" included. */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function unescape(raw: string, chars: string): string {
  return raw.replace(/\\(.)/gsu, (all, c: string) => (chars.includes(c) ? c : all));
}

function parseValue(text: string, from: number): [FieldValue, number] {
  if (text[from] === '"') {
    let i = from + 1;
    let out = "";
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error("unterminated string");
      if (text[i] === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
      out += text[i];
      i++;
    }
    return [out, i + 1];
  }
  const [raw, end] = scan(text, from, ", ");
  if (raw === "true" || raw === "false") return [raw === "true", end];
  if (/^-?\d+[iu]$/.test(raw)) return [BigInt(raw.slice(0, -1)), end];
  const n = Number(raw);
  if (raw === "" || Number.isNaN(n)) throw new Error(`bad value ${raw}`);
  return [n, end];
}

/** Parses one line; throws on anything malformed. */
function parseLine(text: string): Parsed {
  let [raw, i] = scan(text, 0, ", ");
  const out: Parsed = { measurement: unescape(raw, ", "), tags: {}, fields: {}, time: 0n };
  while (text[i] === ",") {
    [raw, i] = scan(text, i + 1, "=");
    const key = unescape(raw, ",= ");
    [raw, i] = scan(text, i + 1, ", ");
    put(out.tags, key, unescape(raw, ",= "));
  }
  if (text[i] !== " ") throw new Error("no field section");
  do {
    [raw, i] = scan(text, i + 1, "=");
    if (text[i] !== "=") throw new Error("field without '='");
    const key = unescape(raw, ",= ");
    let value: FieldValue;
    [value, i] = parseValue(text, i + 1);
    put(out.fields, key, value);
  } while (text[i] === ",");
  if (text[i] !== " " || !/^-?\d+$/.test(text.slice(i + 1))) throw new Error("bad timestamp");
  out.time = BigInt(text.slice(i + 1));
  return out;
}

// Strings rich in the characters that matter, plus any Unicode.
const tricky = fc.oneof(
  fc.string({ unit: fc.constantFrom(",", "=", " ", "\\", '"', "\n", "a", "é", "#", "\t"), maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
const fieldValueArb: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  tricky.filter((s) => !/[\n\r]/.test(s)),
);
const NS: LineOptions = { precision: "ns", uint: "integer" };

describe("line protocol: properties", () => {
  it("an escaped key or tag value reads back as itself and ends at no unescaped separator", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const e = escapeKey(s);
        if (e === undefined) return;
        const [raw, end] = scan(e, 0, ",= ");
        assert.equal(end, e.length, `unescaped separator in ${JSON.stringify(e)}`);
        assert.equal(unescape(raw, ",= "), s);
      }),
    );
  });

  it("a key is refused exactly when it holds a line break or a backslash before a separator, a backslash or the end", () => {
    fc.assert(fc.property(tricky, (s) => assert.equal(escapeKey(s) === undefined, /[\n\r]|\\([,= \\]|$)/.test(s))));
  });

  it("an escaped measurement reads back as itself", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const e = escapeMeasurement(s);
        if (e === undefined) return;
        const [raw, end] = scan(e, 0, ", ");
        assert.equal(end, e.length);
        assert.equal(unescape(raw, ", "), s);
      }),
    );
  });

  it("a point reads back with every tag (empty ones left out), every field value and type, and its time", () => {
    const sample = fc.record({
      measurement: tricky.filter((s) => escapeMeasurement(s) !== undefined),
      tags: fc.dictionary(tricky, tricky, { maxKeys: 5, noNullPrototype: true }),
      fields: fc.dictionary(name, fieldValueArb, { minKeys: 1, maxKeys: 6, noNullPrototype: true }),
      timeNs: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    });
    fc.assert(
      fc.property(sample, (s: Sample) => {
        const r = toLine(s, NS);
        const writable = Object.entries(s.tags).every(([k, v]) => v === "" || (k !== "" && escapeKey(k) !== undefined && escapeKey(v) !== undefined));
        assert.equal(r.ok, writable, r.ok ? "" : r.reason);
        if (!r.ok) return;
        assert.ok(!r.line.includes("\n"));
        const p = parseLine(r.line);
        assert.equal(p.measurement, s.measurement);
        assert.deepEqual(p.tags, Object.fromEntries(Object.entries(s.tags).filter(([, v]) => v !== "")));
        assert.deepEqual(p.fields, s.fields);
        assert.equal(p.time, s.timeNs);
      }),
      { numRuns: 500 },
    );
  });

  it("tags come out sorted by key", () => {
    fc.assert(
      fc.property(fc.dictionary(name, name, { minKeys: 1, maxKeys: 8, noNullPrototype: true }), (tags) => {
        const r = toLine({ measurement: "m", tags, fields: { v: 1 }, timeNs: 1n }, NS);
        assert.ok(r.ok);
        const keys = Object.keys(parseLine(r.line).tags);
        assert.deepEqual(keys, [...keys].sort());
      }),
    );
  });
});
