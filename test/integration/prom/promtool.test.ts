// The exposition checked by Prometheus's own tools: `promtool check metrics` (the text format's parser and its
// linter: names, units, suffixes, HELP) and, for OpenMetrics, Prometheus's OpenMetrics parser through
// `promtool tsdb create-blocks-from openmetrics` (which needs a timestamp on every sample: the test adds one).
import assert from "node:assert/strict";
import fc from "fast-check";
import { allMeasurements } from "@eastwest/common";
import { Exposer, type ExpositionFormat } from "@eastwest/common/prom";
import { requireBinary, tempDir } from "../../helpers/procs.ts";
import { NOW_NS, schemaPoints } from "../../unit/prom/rows.ts";
import { promtoolCheck, promtoolOpenMetrics } from "./promtool.ts";

const exposer = new Exposer(allMeasurements());

function render(format: ExpositionFormat, points = schemaPoints(3)): string {
  return exposer.render(points, { format, nowNs: NOW_NS, staleAfterNs: 0n, maxSeries: 200_000, selfLabels: { collector_id: "c1" } }).text;
}

describe("prom exposition: promtool", function () {
  this.timeout(120_000);
  const promtool = requireBinary("promtool");
  const dir = tempDir("promtool");
  after(() => dir.remove());

  it("passes promtool check metrics (parser and linter) for every family of the schema", () => {
    const r = promtoolCheck(promtool, render("text"));
    assert.equal(r.status, 0, r.output);
    assert.equal(r.output.trim(), "", "no lint problem");
  });

  it("is read by Prometheus's OpenMetrics parser, every sample", () => {
    const text = render("openmetrics");
    const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
    const r = promtoolOpenMetrics(promtool, text, dir.path);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, new RegExp(`\\s${samples}\\s+${samples}\\s+${samples}\\s`), `all ${samples} samples in the block: ${r.output}`);
  });

  it("a broken exposition fails promtool (the check can fail)", () => {
    const r = promtoolCheck(promtool, render("text").replace('interface="interface-1"', 'interface="a"b"'));
    assert.notEqual(r.status, 0);
  });

  it("hostile tag values and odd numbers still pass both parsers", () => {
    const hostile = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom('"', "\\", "\n", "\uD800", "a\\\"b\n", "é€😀"));
    const samples = fc.sample(fc.record({ a: hostile, b: hostile, v: fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity)) }), { numRuns: 60, seed: 17 });
    const points = samples.map((s, i) => ({
      measurement: "tcp_flow",
      tags: { agent_id: `a${i}`, host: s.a, netns: s.b, local: "l", remote: "r", state: "ESTAB" },
      timeNs: NOW_NS,
      fields: { rtt_ns: s.v, cwnd: BigInt(i), sent_bytes_total: 18446744073709551615n, app_limited: i % 2 === 0 },
    }));
    for (const format of ["text", "openmetrics"] as const) {
      const text = render(format, points);
      const r = format === "text" ? promtoolCheck(promtool, text) : promtoolOpenMetrics(promtool, text, dir.path);
      assert.equal(r.status, 0, `${format}: ${r.output}`);
    }
  });
});
