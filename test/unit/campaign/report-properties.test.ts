import assert from "node:assert/strict";
import fc from "fast-check";
import { renderReport } from "../../../collector/src/campaign/report.ts";
import { esc, niceDomain } from "../../../collector/src/campaign/report-svg.ts";
import type { ReportCell, ReportInput, ThroughputStats } from "../../../collector/src/campaign/report-types.ts";

/** Every tag the renderer emits; anything else in the output leaked from the input. */
const TAGS = new Set(["html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "dl", "dt", "dd", "main", "section", "figure", "figcaption", "footer", "table", "caption", "thead", "tbody", "tr", "th", "td", "span", "br", "ul", "li", "code", "p", "svg", "desc", "defs", "pattern", "g", "rect", "line", "path", "circle", "text", "tspan"]);
const GEOMETRY = /\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|d|transform|viewBox|data-value|data-low|data-high)="([^"]*)"/g;

const str = fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom("", "<evil>", `"'&`, "</svg>", "<script>x</script>")).map(([a, b]) => a + b);
const num = fc.oneof(fc.double(), fc.double({ min: -5, max: 120, noNaN: true }));
const nullable = fc.option(num, { nil: null });

const stats: fc.Arbitrary<ThroughputStats> = fc.record({
  n: fc.nat({ max: 10 }),
  meanGbitS: num,
  stddevGbitS: num,
  ciLowGbitS: nullable,
  ciHighGbitS: nullable,
  samplesGbitS: fc.array(num, { maxLength: 6 }),
  outliersGbitS: fc.array(num, { maxLength: 2 }),
});

const cell: fc.Arbitrary<ReportCell> = fc.record(
  {
    id: str,
    name: str,
    settings: str,
    throughput: stats,
    reverseThroughput: stats,
    verdict: fc.record({ verdict: fc.constantFrom("baseline", "same", "better", "worse", "unbalanced"), deltaPct: nullable, reason: str }),
    breakdownUs: fc.record({ copies: num, syscalls: num, exits: num, unexplained: num, measuredPerPacketUs: nullable, modelPerPacketUs: num }),
    perPacket: fc.record({ exits: nullable, cpuUs: nullable }),
    runIds: fc.array(str, { maxLength: 3 }),
  },
  { requiredKeys: ["id", "name", "settings", "throughput", "verdict", "breakdownUs", "perPacket", "runIds"] },
);

const input: fc.Arbitrary<ReportInput> = fc.record({
  campaign: fc.record({
    id: str,
    name: str,
    startedNs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    finishedNs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    manifest: fc.dictionary(str, fc.oneof(str, num, fc.boolean(), fc.constant(null), fc.array(str, { maxLength: 2 })), { maxKeys: 4 }),
  }),
  ceilingGbitS: num,
  modelVersion: str,
  cells: fc.array(cell, { maxLength: 6 }),
});

describe("campaign report properties", () => {
  it("never leaks markup from the input, never writes NaN or Infinity, never a negative size", () => {
    fc.assert(
      fc.property(input, (inp) => {
        const html = renderReport(inp);
        for (const m of html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)) assert.ok(TAGS.has(m[1] ?? ""), `unexpected tag <${m[1]}>`);
        // the exits/CPU plot is left out (with a line saying why) when no cell has either figure
        const none = inp.cells.length > 0 && inp.cells.every((c) => !Number.isFinite(c.perPacket.exits ?? NaN) && !Number.isFinite(c.perPacket.cpuUs ?? NaN));
        assert.equal(html.match(/<\/svg>/g)?.length, none ? 2 : 3);
        if (none) assert.match(html, /VM exits: unavailable: /);
        for (const m of html.matchAll(GEOMETRY)) {
          assert.doesNotMatch(m[2] ?? "", /NaN|Infinity/, `${m[1]}="${m[2]}"`);
          if (m[1] === "width" || m[1] === "height") assert.ok(!(m[2] ?? "").startsWith("-"), `${m[1]}="${m[2]}"`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("escapes to text that decodes back and holds no markup characters", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const e = esc(s);
        assert.doesNotMatch(e, /[<>"']/);
        assert.equal(e.replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d))), s);
      }),
    );
  });

  it("nice domains contain the data and zero, with ticks at both ends", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const d = niceDomain(lo, hi);
        assert.ok(d.min <= Math.min(0, lo) && d.max >= Math.max(0, hi) && d.max > d.min);
        assert.ok(d.ticks.length >= 2 && d.ticks.length <= 12, String(d.ticks.length));
        assert.ok(Math.abs((d.ticks[0] ?? NaN) - d.min) < 1e-9 * Math.max(1, Math.abs(d.min)));
      }),
    );
  });
});
