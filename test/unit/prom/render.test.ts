// The exposition (common/src/prom/render.ts, escape.ts): escaping, numbers, staleness, truncation, negotiation, and
// properties over any tag and field values.
import assert from "node:assert/strict";
import fc from "fast-check";
import { allMeasurements, type MeasurementDef } from "@eastwest/common";
import { escapeHelp, escapeLabelValue, Exposer, formatValue, negotiate, type LatestPoint, type RenderOptions } from "@eastwest/common/prom";
import { parseExposition, seriesKey } from "./parse.ts";
import { NOW_NS, schemaPoints } from "./rows.ts";

const exposer = new Exposer(allMeasurements());
const opts = (o: Partial<RenderOptions> = {}): RenderOptions => ({ format: "text", nowNs: NOW_NS, staleAfterNs: 300_000_000_000n, maxSeries: 200_000, ...o });

describe("prom exposition: escaping and numbers", () => {
  it("escapes label values and HELP as each format says", () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue("plain"), "plain");
    assert.equal(escapeLabelValue("x\uD800y"), "x\uFFFDy");
    assert.equal(escapeHelp('a\\b"c\nd', "text"), 'a\\\\b"c\\nd');
    assert.equal(escapeHelp('a\\b"c\nd', "openmetrics"), 'a\\\\b\\"c\\nd');
  });

  it("formats NaN, infinities, exact integers and scaled values", () => {
    assert.equal(formatValue(NaN, 1), "NaN");
    assert.equal(formatValue(Infinity, 1), "+Inf");
    assert.equal(formatValue(-Infinity, 0.01), "-Inf");
    assert.equal(formatValue(18446744073709551615n, 1), "18446744073709551615");
    assert.equal(formatValue(1_500_000_000n, 1e-9), "1.5");
    assert.equal(formatValue(181_026_000n, 1e-9), "0.181026");
    assert.equal(formatValue(42.5, 0.01), "0.425");
    assert.equal(formatValue(true, 1), "1");
    assert.equal(formatValue(false, 1), "0");
    assert.equal(formatValue(1e21, 1), "1e+21");
  });
});

describe("prom exposition: rendering", () => {
  it("renders every family of the schema in both formats, grammar-checked", () => {
    for (const format of ["text", "openmetrics"] as const) {
      const r = exposer.render(schemaPoints(2), opts({ format, selfLabels: { collector_id: "c" } }));
      const fams = parseExposition(r.text, format);
      const samples = fams.flatMap((f) => f.samples);
      assert.equal(samples.length, r.series + 4, "the exposition's own four metrics");
      assert.equal(new Set(samples.map(seriesKey)).size, samples.length, "no duplicate series");
      const rx = samples.find((s) => s.name === "eastwest_netdev_rx_bytes_total" && s.labels["interface"] === "interface-1");
      assert.ok(rx, "netdev rx bytes");
      assert.deepEqual(Object.keys(rx.labels), ["agent_id", "host", "netns", "interface"]);
      assert.equal(fams.find((f) => f.name === (format === "text" ? "eastwest_netdev_rx_bytes_total" : "eastwest_netdev_rx_bytes"))?.type, "counter");
      assert.equal(samples.find((s) => s.name === "eastwest_metrics_series")?.labels["collector_id"], "c");
      assert.ok(!samples.some((s) => s.name.includes("per_s") && !s.name.includes("per_second")), "no _per_s names");
    }
  });

  it("converts units: ns counters to seconds, pct to ratio", () => {
    const p: LatestPoint = { measurement: "cpu", tags: { agent_id: "a", host: "h", netns: "", cpu: "all" }, timeNs: NOW_NS, fields: { user_ns_total: 2_500_000_000n, busy_pct: 42.5, user_per_s: 1 } as never };
    const text = exposer.render([p], opts()).text;
    assert.match(text, /^eastwest_cpu_user_seconds_total\{agent_id="a",host="h",cpu="all"\} 2\.5$/m);
    assert.match(text, /^eastwest_cpu_busy_ratio\{agent_id="a",host="h",cpu="all"\} 0\.425$/m);
    assert.doesNotMatch(text, /netns=/, "an empty tag is no label");
  });

  it("leaves out stale points and counts their samples", () => {
    const fresh = schemaPoints(1, NOW_NS - 10_000_000_000n);
    const old = schemaPoints(1, NOW_NS - 301_000_000_000n).map((p) => ({ ...p, tags: { ...p.tags, agent_id: "old" } }));
    const r = exposer.render([...fresh, ...old], opts());
    assert.equal(r.stale, r.series, "as many stale samples as fresh ones");
    assert.doesNotMatch(r.text, /agent_id="old"/);
    assert.match(r.text, new RegExp(`^eastwest_metrics_stale_series ${r.stale}$`, "m"));
    assert.equal(exposer.render(old, opts({ staleAfterNs: 0n })).series, r.series, "0 keeps every point");
  });

  it("truncates deterministically at maxSeries and says so", () => {
    const points = schemaPoints(3);
    const all = exposer.render(points, opts());
    const cut = exposer.render(points, opts({ maxSeries: 100 }));
    assert.equal(cut.series, 100);
    assert.equal(cut.truncated, all.series - 100);
    assert.match(cut.text, new RegExp(`^eastwest_metrics_truncated_series ${cut.truncated}$`, "m"));
    assert.equal(exposer.render(points, opts({ maxSeries: 100 })).text, cut.text, "same input, same cut");
    const kept = new Set(parseExposition(cut.text, "text").flatMap((f) => f.samples).map(seriesKey));
    const everything = new Set(parseExposition(all.text, "text").flatMap((f) => f.samples).map(seriesKey));
    for (const k of kept) if (!k.startsWith("eastwest_metrics_")) assert.ok(everything.has(k), k);
  });

  it("skips unknown measurements and repeated label sets", () => {
    const p = schemaPoints(1).find((x) => x.measurement === "udp") as LatestPoint;
    const r = exposer.render([{ ...p, measurement: "nope" }, p, { ...p, tags: { ...p.tags } }], opts());
    assert.equal(r.skipped, 2);
  });

  it("negotiates OpenMetrics from Accept as Prometheus sends it", () => {
    assert.equal(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), "openmetrics");
    assert.equal(negotiate("text/plain;version=0.0.4"), "text");
    assert.equal(negotiate(undefined), "text");
    assert.equal(negotiate("application/openmetrics-text;q=0"), "text");
  });
});

const tagValue = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.constantFrom("", '"', "\\", "\n", "\uD800", "\uDC00x", "a\\\"b"));
const number = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0));
const DEF: MeasurementDef = { doc: 'Doc with "quotes", a \\ and\na line feed.', tags: ["a", "b"], fields: { x_total: "uint", y_ns: "float", ok: "bool", s: "string", z_pct: "float" } };
const registry = new Map([["m", DEF]]);
const point = fc.record({
  tags: fc.record({ a: tagValue, b: tagValue }),
  fields: fc.record({ x_total: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), y_ns: number, ok: fc.boolean(), s: fc.string(), z_pct: number }, { requiredKeys: [] }),
});

describe("prom exposition: any tag and field value", () => {
  it("gives a valid exposition whose labels read back, without duplicate series", () => {
    const ex = new Exposer(registry);
    fc.assert(
      fc.property(fc.array(point, { maxLength: 20 }), fc.constantFrom("text", "openmetrics" as const), (ps, format) => {
        const points = ps.map((p) => ({ measurement: "m", timeNs: NOW_NS, ...p }));
        const r = ex.render(points, opts({ format, selfLabels: { agent_id: 'x"y' } }));
        const samples = parseExposition(r.text, format).flatMap((f) => f.samples);
        const keys = samples.map(seriesKey);
        assert.equal(new Set(keys).size, keys.length);
        assert.equal(samples.length, r.series + 4);
        for (const s of samples) {
          if (s.name.startsWith("eastwest_metrics_")) continue;
          for (const v of Object.values(s.labels)) assert.ok(v !== "" && !/[\uD800-\uDFFF]/.test(v.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "")), "well-formed, non-empty");
        }
        for (const s of samples.filter((x) => x.name === "eastwest_m_y_seconds")) assert.ok(s.raw === "NaN" || s.raw.endsWith("Inf") || Number.isFinite(s.value));
      }),
      { numRuns: 400 },
    );
  });
});
