import assert from "node:assert/strict";
import { parseDurationNs, parseTimeNs } from "../../../collector/src/http/time.ts";

const NOW = 1_700_000_000_123_456_789n;
const MIN = 60_000_000_000n;

function time(text: string): bigint {
  const r = parseTimeNs(text, NOW);
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r.value;
}

function timeError(text: string): string {
  const r = parseTimeNs(text, NOW);
  assert.ok(!r.ok, `${text} should not parse`);
  return r.error;
}

describe("http time parameters", () => {
  it("reads durations with units, compound durations and bare nanoseconds", () => {
    const cases: Array<[string, bigint]> = [
      ["500ms", 500_000_000n],
      ["10s", 10_000_000_000n],
      ["1h30m", 90n * MIN],
      ["2w", 14n * 24n * 60n * MIN],
      ["1500", 1500n],
      ["0s", 0n],
      ["3us", 3000n],
    ];
    for (const [text, ns] of cases) assert.deepEqual(parseDurationNs(text), { ok: true, value: ns }, text);
    for (const bad of ["", "5", "5x", "m", "-5m", "1.5s", "5 m"].filter((t) => t !== "5")) {
      assert.equal(parseDurationNs(bad).ok, false, bad);
    }
  });

  it("reads now and times relative to now", () => {
    assert.equal(time("now"), NOW);
    assert.equal(time("-5m"), NOW - 5n * MIN);
    assert.equal(time("now-5m"), NOW - 5n * MIN);
    assert.equal(time("now+1h"), NOW + 60n * MIN);
  });

  it("reads epoch nanoseconds exactly", () => {
    assert.equal(time("1700000000123456789"), 1_700_000_000_123_456_789n);
    assert.equal(time("0"), 0n);
    assert.match(timeError("99999999999999999999"), /64-bit/);
  });

  it("reads RFC 3339 with fractions to the nanosecond and offsets", () => {
    assert.equal(time("2023-11-14T22:13:20Z"), 1_700_000_000_000_000_000n);
    assert.equal(time("2023-11-14T22:13:20.123456789Z"), 1_700_000_000_123_456_789n);
    assert.equal(time("2023-11-14T22:13:20.5Z"), 1_700_000_000_500_000_000n);
    assert.equal(time("2023-11-15T00:13:20+02:00"), 1_700_000_000_000_000_000n);
    assert.equal(time("1969-12-31T23:59:59Z"), -1_000_000_000n);
    assert.equal(time("2024-02-29T00:00:00Z"), 1_709_164_800_000_000_000n);
  });

  it("refuses impossible dates and other text with the accepted forms", () => {
    assert.match(timeError("2023-02-29T00:00:00Z"), /day out of range/);
    assert.match(timeError("2023-13-01T00:00:00Z"), /month out of range/);
    assert.match(timeError("2023-01-01T24:00:00Z"), /time of day/);
    assert.match(timeError("yesterday"), /RFC 3339 time, epoch nanoseconds, now/);
    assert.match(timeError("-5x"), /relative time/);
    assert.match(timeError("2023-01-01"), /RFC 3339/);
  });
});
