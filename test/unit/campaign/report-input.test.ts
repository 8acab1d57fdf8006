import assert from "node:assert/strict";
import { PAPER_CONSTANTS } from "../../../collector/src/model/constants.ts";
import { expandCells } from "../../../collector/src/campaign/matrix.ts";
import { reportInput } from "../../../collector/src/campaign/report-input.ts";
import { renderReport } from "../../../collector/src/campaign/report.ts";
import { formatCampaign } from "../../../collector/src/campaign/format.ts";
import type { CampaignRecord, CellRecord } from "../../../collector/src/campaign/runner.ts";
import { parseCampaignSpec } from "../../../collector/src/campaign/spec.ts";
import { summarize } from "../../../collector/src/campaign/stats.ts";
import { baselineVerdicts } from "../../../collector/src/campaign/verdict.ts";
import { runModel } from "../../../collector/src/run/run-model.ts";
import { around, manifest, yamlSpec } from "./helpers.ts";

const G = 1e9;
const NO_EXITS = "tcg: no KVM exits (vm g0, g1)";

/** A finished campaign record: baseline and one cell, runs without exit counts, manifests of both ends. */
function record(cellSamples: number[]): CampaignRecord {
  const spec = parseCampaignSpec(yamlSpec("matrix: { tx_checksum: [off] }\nrepetitions: { min: 3, max: 5 }"), "yaml");
  const cells = expandCells(spec);
  const ends = [
    manifest("srv", { offloads: { eth1: { "tx-checksumming": true, "generic-receive-offload": false } } }),
    manifest("cli", { kernel: "6.12.0-1-amd64", offloads: { eth0: { "tx-checksumming": false } } }),
  ];
  const samplesOf = [around(10 * G, 1, 5), cellSamples];
  const recCells: CellRecord[] = cells.map((cell, i) => {
    const samples = samplesOf[i] as number[];
    const model = runModel({ receiverBitsPerS: samples[0] as number, lengthBytes: 131072, constants: { ...PAPER_CONSTANTS }, exits: { exits: 0, payloadBytes: 1e9, source: "", missing: NO_EXITS } }, () => undefined);
    const runs = samples.map((b, j) => ({ id: `${cell.id}-r${j}`, bitsPerS: b, reverseBitsPerS: null, breakdown: model, exitsPerPacket: null, cpuUsPerPacket: 20 }));
    const result = { cell_id: cell.id, samples_bits_per_s: samples, throughput: summarize(samples, 0.95), directions: null, manifests: ends, run_ids: runs.map((r) => r.id) };
    return { cell, result, runs, restores: [], error: null, startedNs: 0n, finishedNs: 1n };
  });
  const rec: CampaignRecord = { id: "c1", name: "t", spec, spec_digest: "d", status: "done", error: null, startedNs: 0n, finishedNs: 1n, cellsTotal: cells.length, cells: recCells, verdicts: {}, comparison: null };
  rec.verdicts = baselineVerdicts(cells, { campaign_id: rec.id, name: rec.name, spec_digest: "d", cells: recCells.map((c) => c.result!) }, { min_n: 3 });
  return rec;
}

describe("campaign report input from a stored record", () => {
  const noisy = record(around(9.8 * G, 10, 5));
  const input = reportInput(noisy);
  const html = renderReport(input);

  it("shows both ends' offloads as feature on/off, never raw JSON", () => {
    const m = input.campaign.manifest;
    assert.equal(m["offloads, server srv, eth1"], "tx-checksumming on, generic-receive-offload off");
    assert.equal(m["offloads, client cli, eth0"], "tx-checksumming off");
    assert.equal(m["agents"], "server srv, client cli");
    assert.equal(m["kernel"], "server srv: 6.1.0-28-amd64; client cli: 6.12.0-1-amd64");
    assert.equal(m["cpu"], "Intel(R) Xeon(R) CPU E5-1620 v4 @ 3.50GHz");
    assert.equal(m["mtu"], "server srv: eth0 1500 B; client cli: eth0 1500 B");
    const host = /<table id="manifest"[\s\S]*?<\/table>/.exec(html)?.[0] ?? "";
    assert.doesNotMatch(host, /[{}]|&#123;|true|false/);
  });

  it("an interval wider than the threshold is inconclusive in the record, the table, the report and its legend", () => {
    const v = noisy.verdicts["tx-checksum-off"]!;
    assert.equal(v.verdict, "inconclusive");
    assert.equal(input.cells[1]!.verdict.verdict, "inconclusive");
    assert.match(html, /<td data-verdict="inconclusive"><span class="verdict verdict-inconclusive">inconclusive<\/span>/);
    assert.match(html, /\.verdict-inconclusive \{/);
    const table = formatCampaign(noisy);
    assert.match(table, /tx-checksum-off .* inconclusive/);
    assert.match(table, /inconclusive: too few repetitions, or the confidence interval of the difference reaches beyond the threshold/);
    assert.doesNotMatch(formatCampaign(record(around(5 * G, 1, 5))), /inconclusive/);
  });

  it("the verdict text speaks Gbit/s, never bits/s in scientific notation", () => {
    const reason = input.cells[1]!.verdict.reason;
    assert.match(reason, /10\.0 Gbit\/s -> 9\.80 Gbit\/s \(-2\.0 %\)/);
    assert.doesNotMatch(reason, /\de\+\d/);
  });

  it("explains the verdict rule under the table, and takes times read back as numbers or strings", () => {
    assert.match(html, /<p class="legend">Verdicts: .*inconclusive: that interval reaches beyond ±min_delta_pct/);
    const back = { ...noisy, startedNs: "1795000000000000000", finishedNs: 1.795e18 } as unknown as CampaignRecord;
    assert.match(renderReport(reportInput(back)), /started<\/dt><dd>2026-11-18T/);
  });

  it("leaves the exits out when no run counted any, and says why", () => {
    assert.equal(input.exitsReason, NO_EXITS);
    assert.match(html, /<p class="na unavailable">VM exits: unavailable: tcg: no KVM exits \(vm g0, g1\)<\/p>/);
    assert.doesNotMatch(html, /bar-exits|VM exits per packet<\/text>/);
    assert.equal(html.match(/<rect class="pp-bar bar-cpu"/g)?.length, 2);
  });
});
