import assert from "node:assert/strict";
import { renderReport, reportFileName } from "../../../collector/src/campaign/report.ts";
import type { ReportInput } from "../../../collector/src/campaign/report-types.ts";
import { edgeInput, table1Input } from "../../fixtures/campaign-report/table1.ts";

/** Text content of markup: tags dropped, numeric and the five named entities decoded, whitespace collapsed. */
function text(html: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return html
    .replace(/<title>.*?<\/title>/g, "")
    .replace(/<br>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d)))
    .replace(/&(amp|lt|gt|quot|apos);/g, (_m, n: string) => named[n] ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The <tr> of the results table for a cell id, as text cells. */
function row(html: string, cell: string): string[] {
  const tbody = /<table id="results"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  const tr = new RegExp(`<tr data-cell="${cell}"[^>]*>([\\s\\S]*?)</tr>`).exec(tbody)?.[1];
  assert.ok(tr, `row ${cell}`);
  return [...tr.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => text(m[1] ?? ""));
}

function attrValues(html: string, selector: RegExp): number[] {
  return [...html.matchAll(selector)].map((m) => Number(m[1]));
}

describe("campaign report (HTML)", () => {
  const html = renderReport(table1Input());

  it("is one self-contained document: no scripts, no external resources, no links", () => {
    assert.ok(html.startsWith("<!doctype html>\n<html"));
    assert.equal(html.match(/<html/g)?.length, 1);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\s(src|href)=/i);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /<link|@import|@font-face/i);
    assert.deepEqual([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]).filter((u) => !u?.startsWith("#")), []);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  });

  it("has the Table-1 rows with the campaign's numbers", () => {
    assert.deepEqual(row(html, "default"), ["default (GRO + GSO on) defaults: gro on, gso on, tx-checksumming on", "41.0 ± 0.3", "baseline", "baseline the campaign's baseline cell", "5", "12.79 model 7.8", "61 %", "baseline"]);
    assert.deepEqual(row(html, "csum-off"), ["checksum offload off tx-checksumming off", "7.00 ± 0.20", "-83 %", "worse CI entirely below the baseline's", "5", "74.9 model 7.8", "10 %", "no findings"]);
    assert.deepEqual(row(html, "gro-off"), ["GRO or GSO off generic-receive-offload off", "41.1 ± 0.3", "+0 %", "same CIs overlap", "5", "12.76 model 8.0", "61 %", "no findings"]);
    assert.deepEqual(row(html, "nocache"), ["tx no-cache-copy on tx-nocache-copy on", "34.0 ± 0.2", "-17 %", "worse CI entirely below the baseline's", "5", "15.42 model 7.8", "51 %", "no findings"]);
    assert.match(text(html), /ceiling of 67\.2 Gbit\/s \(model version 1\)/);
  });

  it("draws three plots whose bars carry the cells and the numbers", () => {
    assert.deepEqual([...html.matchAll(/<svg id="([^"]+)"/g)].map((m) => m[1]), ["plot-throughput", "plot-breakdown", "plot-perpacket"]);
    assert.deepEqual(attrValues(html, /<rect class="bar bar-forward" data-cell="[^"]+" data-value="([^"]+)"/g), [41, 7, 41.1, 34]);
    assert.deepEqual(attrValues(html, /<line class="ceiling" data-value="([^"]+)"/g).map((v) => v.toFixed(1)), ["67.2", "7.8"]);
    assert.deepEqual(attrValues(html, /<rect class="segment seg-copies" data-cell="[^"]+" data-value="([^"]+)"/g), [4.8, 4.8, 4.8, 4.8]);
    assert.deepEqual(attrValues(html, /<line class="model-line" data-cell="[^"]+" data-value="([^"]+)"/g), [7.8, 7.8, 8, 7.8]);
    assert.deepEqual(attrValues(html, /<rect class="pp-bar bar-exits" data-cell="[^"]+" data-value="([^"]+)"/g), [4, 4.1, 4.4, 4]);
    assert.deepEqual(attrValues(html, /<rect class="pp-bar bar-cpu" data-cell="[^"]+" data-value="([^"]+)"/g), [21.3, 118, 21.5, 26.1]);
    assert.equal(html.match(/<circle class="sample"/g)?.length, 20);
    assert.deepEqual(attrValues(html, /<circle class="outlier" data-cell="csum-off" data-value="([^"]+)"/g), [5.1]);
    assert.equal(html.match(/<path class="ci"/g)?.length, 4);
    for (const id of ["plot-throughput", "plot-breakdown", "plot-perpacket"]) assert.match(html, new RegExp(`<svg id="${id}"[^>]*aria-labelledby="${id}-title ${id}-desc"[^>]*><title id="${id}-title">`));
  });

  it("shows the header and the manifest", () => {
    const t = text(html);
    assert.match(t, /Campaign: Table 1: offloads on the bridge path/);
    assert.match(t, /campaign id cmp-table1 started 2026-11-18T[\d:.]+Z finished 2026-11-18T[\d:.]+Z duration 12 min 34 s cells 4/);
    assert.match(t, /cpu Intel Xeon E5-1620 v4 @ 3\.50GHz/);
    assert.match(t, /repetitions 5/);
  });

  it("escapes every string from the input", () => {
    const input = table1Input();
    const c0 = input.cells[0];
    assert.ok(c0);
    c0.name = "<script>alert(1)</script>";
    c0.id = `x" onload="alert(2)`;
    c0.settings = "a & b <img src=x>";
    c0.verdict.reason = "'quoted'";
    input.campaign.name = "</title><script>";
    input.campaign.manifest = { "<b>key</b>": "<i>v</i>", nested: { a: "<x>" } };
    const out = renderReport(input);
    assert.doesNotMatch(out, /<script|<img|<b>|<i>|<x>|onload="/i);
    assert.match(out, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    assert.match(out, /data-cell="x&#34; onload=&#34;alert\(2\)"/);
    assert.match(out, /a &#38; b &#60;img src=x&#62;/);
    assert.equal(out.match(/<tr data-cell=/g)?.length, 4);
  });

  it("is deterministic", () => {
    assert.equal(renderReport(table1Input()), html);
  });

  it("names the file safely", () => {
    assert.equal(reportFileName("cmp-1"), "campaign-cmp-1.html");
    assert.equal(reportFileName("../a b"), "campaign-.._a_b.html");
  });
});

describe("campaign report edge cases", () => {
  const html = renderReport(edgeInput());

  it("n = 1: no interval, says so", () => {
    assert.doesNotMatch(html, /<path class="ci" data-cell="single"/);
    assert.match(html, /data-cell="single"[^>]*>n=1, no CI</);
    assert.deepEqual(row(html, "single").slice(1, 2), ["38.5 (no CI)"]);
  });

  it("no measured time and no per-packet sources: n/a, never 0", () => {
    assert.deepEqual(row(html, "unmeasured").slice(5), ["n/a model 7.8", "60 %", "no findings"]);
    assert.match(html, /data-cell="unmeasured"[^>]*>measured n\/a</);
    assert.equal(html.match(/class="na" data-cell="unmeasured"[^>]*>n\/a</g)?.length, 2);
    assert.doesNotMatch(html, /class="(pp-bar[^"]*|measured)" data-cell="unmeasured"/);
  });

  it("negative unexplained is drawn below zero and labelled", () => {
    const seg = /<rect class="segment seg-unexplained" data-cell="fast" data-value="([^"]+)"[^>]* y="([^"]+)"/.exec(html);
    assert.ok(seg);
    assert.ok(Number(seg[1]) < -1.9 && Number(seg[1]) > -2.0, seg[1]);
    const zeroY = Number(/<svg id="plot-breakdown"[\s\S]*?<line class="zero"[^>]* y1="([^"]+)"/.exec(html)?.[1]);
    assert.equal(Number(seg[2]), zeroY);
    assert.match(html, /class="seg-label seg-label-unexplained" data-cell="fast" data-term="unexplained" data-value="-1\.9\d+"[^>]*>unexplained -1\.97</);
    assert.deepEqual(row(html, "fast").slice(1, 3), ["90.0 ± 1.2 reverse 63.0 ± 1.5", "+120 %"]);
  });

  it("a reverse direction gets its own bar", () => {
    assert.deepEqual(attrValues(html, /<rect class="bar bar-reverse" data-cell="fast" data-value="([^"]+)"/g), [63]);
    assert.equal(html.match(/<rect class="bar bar-forward"/g)?.length, 4);
  });

  it("renders an empty campaign", () => {
    const empty: ReportInput = { ...edgeInput(), cells: [] };
    const out = renderReport(empty);
    assert.equal(out.match(/<svg /g)?.length, 3);
    assert.doesNotMatch(out, /NaN|Infinity/);
  });
});
