// The InfluxDB store's pure parts that the server tests reach only in passing:
// HTTP answers -> outcomes, Retry-After, back-off, request packing, and the
// store section of the collector's configuration.
import assert from "node:assert/strict";
import { ConfigError } from "@eastwest/common";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { backoffMs } from "../../../collector/src/store/influx/retry.ts";
import { classifyHttp, parseRetryAfter, serverMessage } from "../../../collector/src/store/influx/transport.ts";
import { pack } from "../../../collector/src/store/influx/write.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("InfluxDB store: write policy", () => {
  it("maps HTTP answers: 400/413/422 refused, 401/403/404 misconfigured, 408/429/5xx retryable", () => {
    for (const s of [400, 413, 422]) assert.equal(classifyHttp(s, "", null, NOW).kind, "refused", String(s));
    for (const s of [401, 403, 404, 405, 301, 418]) assert.equal(classifyHttp(s, "", null, NOW).kind, "misconfigured", String(s));
    for (const s of [408, 425, 429, 500, 502, 503, 504]) assert.equal(classifyHttp(s, "", null, NOW).kind, "retryable", String(s));
    assert.deepEqual(classifyHttp(429, "", "2", NOW), { kind: "retryable", reason: "HTTP 429: (empty body)", retryAfterMs: 2000 });
  });

  it("reads Retry-After as delta-seconds or an HTTP-date (RFC 9110), ignoring garbage", () => {
    assert.equal(parseRetryAfter("1", NOW), 1000);
    assert.equal(parseRetryAfter(" 30 ", NOW), 30_000);
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", NOW), 5000);
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", NOW), 0);
    assert.equal(parseRetryAfter("soon", NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
  });

  it("quotes the server: 1.x {error}, 2.x {message}, plain text", () => {
    assert.equal(serverMessage('{"error":"partial write: x dropped=1"}'), "partial write: x dropped=1");
    assert.equal(serverMessage('{"code":"invalid","message":"unable to parse"}'), "unable to parse");
    assert.equal(serverMessage("cannot parse line\n"), "cannot parse line");
    assert.equal(serverMessage("x".repeat(2000)).length, 500);
  });

  it("backs off exponentially within [d/2, d], capped", () => {
    const o = { minDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(a, o, () => 0)), [50, 100, 200, 400, 500]);
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(a, o, () => 0.999999)), [100, 200, 400, 800, 1000]);
  });

  it("packs whole batches up to batchSize lines; a longer batch gets requests of its own", () => {
    const job = (index: number, n: number) => ({ index, lines: Array.from({ length: n }, (_, i) => `${index}.${i}`) });
    const shape = (max: number, ...sizes: number[]) => pack(sizes.map((n, i) => job(i, n)), max).map((r) => [r.jobs.map((j) => j.index), r.lines.length]);
    assert.deepEqual(shape(5, 2, 3, 1), [[[0, 1], 5], [[2], 1]]);
    assert.deepEqual(shape(5, 1, 7, 1), [[[0], 1], [[1], 5], [[1], 2], [[2], 1]]);
    assert.deepEqual(shape(5), []);
  });
});

describe("InfluxDB store: configuration", () => {
  const load = (env: Record<string, string>, flags: Record<string, unknown> = {}) => loadCollectorConfig({ env, flags });

  it("the default stays embedded; store.influx has working defaults", () => {
    const c = load({});
    assert.equal(c.store.kind, "embedded");
    assert.equal(c.store.influx.api, "v2");
    assert.equal(c.store.influx.batchSize, 5000);
  });

  it("EASTWEST_STORE_KIND and EASTWEST_INFLUX_* select and set the InfluxDB store", () => {
    const c = load({ EASTWEST_STORE_KIND: "influx", EASTWEST_INFLUX_URL: "http://tsdb:8428", EASTWEST_INFLUX_TOKEN: "t", EASTWEST_INFLUX_PRECISION: "ms", EASTWEST_INFLUX_BATCH_SIZE: "100" });
    assert.equal(c.store.kind, "influx");
    assert.deepEqual([c.store.influx.url, c.store.influx.token, c.store.influx.precision, c.store.influx.batchSize], ["http://tsdb:8428", "t", "ms", 100]);
  });

  it("reports every store problem at once, only for the store in use", () => {
    assert.doesNotThrow(() => load({ EASTWEST_INFLUX_DB: "" }, { store: { influx: { api: "v1", db: "" } } }), "embedded ignores store.influx's targets");
    try {
      load({}, { store: { kind: "influx", influx: { api: "v1", db: "", url: "tsdb:8086", precision: "m", minRetryDelayMs: 9000, maxRetryDelayMs: 1000 } } });
      assert.fail("expected ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join("\n");
      for (const want of ["store.influx.url", "store.influx.precision", "store.influx.db: required with api v1", "store.influx.minRetryDelayMs: must be <= maxRetryDelayMs"]) {
        assert.ok(text.includes(want), `${want} in:\n${text}`);
      }
    }
  });
});
