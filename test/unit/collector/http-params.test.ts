import assert from "node:assert/strict";
import { parseLatestParams, parseRecordsParams, parseSeriesParams, checkRecordKey } from "../../../collector/src/http/params.ts";

const NOW = 1_700_000_000_000_000_000n;
const HOUR = 3_600_000_000_000n;

function series(qs: string) {
  return parseSeriesParams(new URLSearchParams(qs), NOW);
}

function seriesError(qs: string): string {
  const r = series(qs);
  assert.ok(!r.ok, `${qs} should be refused`);
  return r.error;
}

describe("http query parameters", () => {
  it("builds a series query with defaults of the last hour", () => {
    assert.deepEqual(series("measurement=eastwest_sampler"), {
      ok: true,
      value: { measurement: "eastwest_sampler", fromNs: NOW - HOUR, toNs: NOW, limit: 10_000 },
    });
  });

  it("reads fields, tags, agent_id, every, agg and limit", () => {
    const r = series(
      "measurement=eastwest_sampler&from=-10m&to=now&field=up,duration_ns&field=up&tag.sampler=cpu&agent_id=a1&every=10s&agg=last&limit=5",
    );
    assert.deepEqual(r, {
      ok: true,
      value: {
        measurement: "eastwest_sampler",
        fromNs: NOW - 600_000_000_000n,
        toNs: NOW,
        limit: 5,
        fields: ["up", "duration_ns"],
        tags: { sampler: "cpu", agent_id: "a1" },
        everyNs: 10_000_000_000n,
        aggregate: "last",
      },
    });
  });

  it("explains a missing or unknown measurement", () => {
    assert.match(seriesError(""), /measurement is required/);
    assert.match(seriesError("measurement=nope"), /unknown measurement "nope"/);
  });

  it("explains bad times, fields, tags, every, agg and limit, all at once", () => {
    const e = seriesError("measurement=eastwest_sampler&from=yesterday&field=bogus&tag.iface=x&every=0s&agg=median&limit=0&x=1");
    for (const part of [/from: "yesterday"/, /unknown field "bogus"/, /unknown tag "iface"/, /every must be positive/, /agg must be mean, last, min, max or increase, not "median"/, /limit must be/, /unknown parameter "x"/]) {
      assert.match(e, part);
    }
    assert.match(seriesError("measurement=eastwest_sampler&from=now&to=-1h"), /from is after to/);
    assert.match(seriesError("measurement=eastwest_sampler&agg=mean"), /agg needs every/);
    assert.equal(seriesError("measurement=eastwest_sampler&agg=max"), "agg needs every");
    assert.match(seriesError("measurement=eastwest_sampler&from=-1000d&every=1ns"), /more than 1000000 buckets/);
  });

  it("builds latest queries with or without a measurement", () => {
    assert.deepEqual(parseLatestParams(new URLSearchParams("")), { ok: true, value: {} });
    assert.deepEqual(parseLatestParams(new URLSearchParams("agent_id=a1&tag.any_tag=v")), {
      ok: true,
      value: { tags: { agent_id: "a1", any_tag: "v" } },
    });
    const bad = parseLatestParams(new URLSearchParams("measurement=eastwest_agent&tag.sampler=x"));
    assert.deepEqual(bad, { ok: false, error: 'unknown tag "sampler" (tags: agent_id)' });
  });

  it("checks record list limits and record keys", () => {
    assert.deepEqual(parseRecordsParams(new URLSearchParams("")), { ok: true, value: { limit: 100 } });
    assert.equal(parseRecordsParams(new URLSearchParams("limit=abc")).ok, false);
    assert.equal(checkRecordKey("run", "r-1.2"), undefined);
    assert.match(checkRecordKey("Run") ?? "", /snake_case/);
    assert.match(checkRecordKey("run", "a b") ?? "", /printable/);
  });
});
