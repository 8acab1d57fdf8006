// Validation of run and hold requests (collector/src/run/spec.ts): every problem reported at once.
import assert from "node:assert/strict";
import { ConfigError } from "@eastwest/common";
import { parseHoldRequest, parseRunRequest } from "../../../collector/src/run/spec.ts";

/** Asserts `fn` throws a ConfigError whose problems match `expected`, one pattern per problem, in order. */
function refuses(fn: () => unknown, expected: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    assert.equal(err.problems.length, expected.length, err.problems.join("; "));
    expected.forEach((re, i) => assert.match(err.problems[i] ?? "", re));
    for (const p of err.problems) assert.ok(err.message.includes(p), "the message lists every problem");
    return true;
  });
}

describe("parseHoldRequest", () => {
  it("accepts for_ms 0 (release) and a hold's milliseconds", () => {
    assert.deepEqual(parseHoldRequest({ for_ms: 0 }), { forMs: 0 });
    assert.deepEqual(parseHoldRequest({ for_ms: 5000 }), { forMs: 5000 });
    assert.deepEqual(parseHoldRequest({ for_ms: 3_600_000 }), { forMs: 3_600_000 });
  });

  it("refuses a missing, negative, non-integer, too long or mistyped for_ms, and unknown keys", () => {
    refuses(() => parseHoldRequest({}), [/^for_ms: .*expected number, received undefined/]);
    refuses(() => parseHoldRequest({ for_ms: -1 }), [/^for_ms: Too small: expected number to be >=0/]);
    refuses(() => parseHoldRequest({ for_ms: 1.5 }), [/^for_ms: .*expected int/]);
    refuses(() => parseHoldRequest({ for_ms: 3_600_001 }), [/^for_ms: Too big/]);
    refuses(() => parseHoldRequest({ for_ms: "5000" }), [/^for_ms: .*expected number, received string/]);
    refuses(() => parseHoldRequest({ for_ms: 0, forMs: 0 }), [/^\(body\): Unrecognized key: "forMs"/]);
    refuses(() => parseHoldRequest(null), [/^\(body\): .*expected object/]);
  });

  it("lists every problem at once", () => {
    refuses(() => parseHoldRequest({ for_ms: 2.5, extra: true }), [/^for_ms: .*expected int/, /^\(body\): Unrecognized key: "extra"/]);
  });
});

describe("parseRunRequest: live", () => {
  const base = { server: { agentId: "srv" }, client: { agentId: "cli" }, serverAddress: "10.0.0.1" };

  it("defaults live to false (the agents hold samples during the traffic)", () => {
    const spec = parseRunRequest(base);
    assert.equal(spec.live, false);
    assert.equal(spec.sampleIntervalMs, 200);
    assert.match(spec.id, /^[0-9a-f-]{36}$/);
  });

  it("accepts live true and false", () => {
    assert.equal(parseRunRequest({ ...base, live: true }).live, true);
    assert.equal(parseRunRequest({ ...base, live: false }).live, false);
  });

  it('refuses live "yes" (a boolean only), with the other problems', () => {
    refuses(() => parseRunRequest({ ...base, live: "yes" }), [/^live: .*expected boolean, received string/]);
    refuses(() => parseRunRequest({ ...base, live: 1, port: 0 }), [/^port: /, /^live: .*expected boolean/]);
  });

  it("profile: true by default (each machine profiles the traffic), false asks for none; a boolean only", () => {
    assert.equal(parseRunRequest(base).profile, true);
    assert.equal(parseRunRequest({ ...base, profile: false }).profile, false);
    refuses(() => parseRunRequest({ ...base, profile: "off" }), [/^profile: .*expected boolean, received string/]);
  });
});
