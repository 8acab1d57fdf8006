// The campaign diagnosis where the user looks: `campaign show` (its top lines), the HTML report (a summary at the
// top, the explanation per cell in the table), and GET /api/v1/records/campaign/:id, which explains a record stored
// without findings from its stored run records (a real embedded store). Runs: the recorded default and checksum-off.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PAPER_CONSTANTS } from "../../../collector/src/model/constants.ts";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { brief } from "../../../collector/src/campaign/explain.ts";
import { campaignDiagnosis } from "../../../collector/src/campaign/explain-campaign.ts";
import { withCampaignDiagnosis } from "../../../collector/src/campaign/explain-load.ts";
import { expandCells } from "../../../collector/src/campaign/matrix.ts";
import { reportInput } from "../../../collector/src/campaign/report-input.ts";
import { renderReport } from "../../../collector/src/campaign/report.ts";
import { formatCampaign } from "../../../collector/src/campaign/format.ts";
import type { CampaignRecord, CellRecord } from "../../../collector/src/campaign/runner.ts";
import { parseCampaignSpec } from "../../../collector/src/campaign/spec.ts";
import { summarize } from "../../../collector/src/campaign/stats.ts";
import { baselineVerdicts } from "../../../collector/src/campaign/verdict.ts";
import { handle } from "../../../collector/src/http/handlers.ts";
import { runModel } from "../../../collector/src/run/run-model.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";
import { loadFixture } from "../diagnosis/fixture.ts";
import { around, yamlSpec } from "./helpers.ts";

const SCEN = ["default", "checksum-off"] as const;
const fx = SCEN.map((s) => loadFixture(s));

/** Baseline = three default runs, the cell = three checksum-off runs; withFindings: the runner's summaries carry them. */
function record(withFindings: boolean): CampaignRecord {
  const spec = parseCampaignSpec(yamlSpec("matrix: { tx_checksum: [off] }\nrepetitions: { min: 3, max: 3 }"), "yaml");
  const cells = expandCells(spec);
  const recCells: CellRecord[] = cells.map((cell, i) => {
    const f = fx[i]!;
    const samples = around(f.record.results.throughput.iperf3_receiver_bits_per_s, 1, 3);
    const model = runModel({ receiverBitsPerS: samples[0]!, lengthBytes: 131072, constants: { ...PAPER_CONSTANTS }, exits: { exits: 0, payloadBytes: 1e9, source: "", missing: "none" } }, () => undefined);
    const findings = brief(diagnose(f.record, f.samples));
    const runs = samples.map((b, j) => ({ id: `${cell.id}-r${j}`, bitsPerS: b, reverseBitsPerS: null, breakdown: model, exitsPerPacket: null, cpuUsPerPacket: null, ...(withFindings ? { findings } : {}) }));
    const result = { cell_id: cell.id, samples_bits_per_s: samples, throughput: summarize(samples, 0.95), directions: null, manifests: [], run_ids: runs.map((r) => r.id) };
    return { cell: { ...cell, name: i === 0 ? "default" : "checksum offload off" }, result, runs, restores: [], error: null, startedNs: 0n, finishedNs: 1n };
  });
  const rec: CampaignRecord = { id: "c-diag", name: "t", spec, spec_digest: "d", status: "done", error: null, startedNs: 0n, finishedNs: 1n, cellsTotal: cells.length, cells: recCells, verdicts: {}, comparison: null };
  rec.verdicts = baselineVerdicts(cells, { campaign_id: rec.id, name: rec.name, spec_digest: "d", cells: recCells.map((c) => c.result!) }, { min_n: 3 });
  return rec;
}

const CELL = "tx-checksum-off";

describe("campaign diagnosis in the record, campaign show, the report and the API", () => {
  it("campaign show starts with the summary and the cell's explanation", () => {
    const rec = record(true);
    assert.equal(rec.verdicts[CELL]?.verdict, "worse");
    rec.diagnosis = campaignDiagnosis(rec);
    const text = formatCampaign(rec).split("\n");
    assert.match(text[2]!, /^diagnosis against the baseline \(engine \d+\): 1 of 1 cell\(s\) that changed throughput explained by their findings$/);
    assert.match(text[3]!, /^ {2}baseline: bottleneck cpu-saturated at the sender/);
    assert.match(text[4]!, /^ {2}checksum offload off: offloads became bottleneck at the sender .*; throughput -4\d\.\d % \(worse\): explained$/);
    assert.ok(text.findIndex((l) => l.startsWith("cell ")) > 4, "the table comes after");
    // a record without a stored diagnosis but with findings (made while running) is explained the same way
    assert.deepEqual(formatCampaign(record(true)), formatCampaign(rec));
  });

  it("the report has the summary first and the explanation in the cell's row", () => {
    const html = renderReport(reportInput(record(true)));
    const diag = html.indexOf('id="diagnosis-section"');
    assert.ok(diag > 0 && diag < html.indexOf('id="results-section"'));
    assert.match(html, /<div id="diagnosis-summary"><p>1 of 1 cell\(s\) that changed throughput explained/);
    const row = new RegExp(`<tr data-cell="${CELL}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";
    assert.match(row, /<td class="explanation" data-status="explained"><span class="explained explained-explained">explained<\/span><br><span class="reason">checksum offload off: offloads became bottleneck at the sender/);
    assert.match(row, /receiver bytes\/packet 60\.2 kB -&#62; 1\.51 kB/);
    const without = renderReport(reportInput(record(false)));
    assert.match(without, /<p class="na" id="diagnosis-summary">no findings: the campaign's runs carry no diagnosis<\/p>/);
  });

  describe("GET /api/v1/records/campaign/:id", () => {
    let dir: ReturnType<typeof tempDir>;
    let store: EmbeddedStore;
    before(async () => {
      dir = tempDir("cdiag-api");
      store = new EmbeddedStore(join(dir.path, "s.db"));
      await store.open();
    });
    after(async () => {
      await store?.close();
      dir?.remove();
    });
    const get = (id: string) => handle({ name: "record", kind: "campaign", id }, new URLSearchParams(), { store, registry: { list: async () => [], get: async () => undefined }, clock: () => 0n });

    it("an older record (runs without findings) is explained from its stored run records; the stored record is not rewritten", async () => {
      const rec = record(false);
      await store.putRecord("campaign", rec.id, rec);
      for (const [i, c] of rec.cells.entries()) for (const r of c.runs) await store.putRecord("run", r.id, { ...fx[i]!.record, id: r.id, diagnosis: diagnose(fx[i]!.record, fx[i]!.samples) });
      const reply = await get(rec.id);
      assert.equal(reply.status, 200);
      const d = (reply.body as { doc: CampaignRecord }).doc.diagnosis!;
      const e = d.cells.find((c) => c.cell_id === CELL)!;
      assert.deepEqual([e.status, e.runs, e.explained_by], ["explained", { cell: 3, baseline: 3 }, ["offloads", "packet-size"]]);
      assert.equal(((await store.getRecord("campaign", rec.id))?.doc as CampaignRecord).diagnosis, undefined);
    });

    it("runs whose records are gone leave their cell 'cannot tell'; a malformed document is served as it is", async () => {
      const rec = { ...record(false), id: "c-gone" };
      rec.cells = rec.cells.map((c) => ({ ...c, runs: c.runs.map((r) => ({ ...r, id: `gone-${r.id}` })) }));
      await store.putRecord("campaign", rec.id, rec);
      const d = ((await get(rec.id)).body as { doc: CampaignRecord }).doc.diagnosis!;
      assert.equal(d.cells[0]?.status, "cannot tell");
      assert.deepEqual(await withCampaignDiagnosis(store, { cells: "nope" }), { cells: "nope" });
      const odd = await withCampaignDiagnosis(store, { cells: [{ runs: [{ id: 5 }], cell: {} }], verdicts: {} });
      assert.ok("diagnosis" in odd || "diagnosis_error" in odd);
    });
  });
});
