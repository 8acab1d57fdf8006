// A campaign end to end over the namespace/bridge lab: default vs tx checksum
// off vs GRO+GSO off. Every cell's settings are restored and verified by the
// agents; checksum-off is slower than the default, as in the study's Table 1;
// the HTML report is written, and the campaign diagnosis names the offloads finding as the cause of the
// checksum-off cell (record, `campaign show`, report). An invalid spec is rejected before anything runs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseExact } from "../../../collector/src/store/json.ts";
import type { CampaignRecord } from "../../../collector/src/campaign/runner.ts";
import { requireBinary, start, tempDir } from "../../helpers/procs.ts";

const SPEC = `
name: ci-table1
description: default vs checksum off vs GRO+GSO off over a bridge between namespaces
baseline: { name: default, streams: 1, direction: forward }
# why: long enough for ~100+ profile samples per iperf3 end at the run's 49 Hz (the measured terms asserted below)
duration_s: 6
sample_interval_ms: 500
repetitions: { min: 2, max: 3, ci_target_pct: 15, confidence: 0.95 }
mode: one_at_a_time
cells:
  - { name: checksum offload off, set: { tx_checksum: off } }
  - { id: gro-gso-off, name: GRO + GSO off, set: { gro: off, gso: off } }
`;

/** Links and namespaces whose names start with `prefix` (the lab's own: "ewc" and three hex digits per run). */
function leftovers(prefix: string): string[] {
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  const nss = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return [...links.split("\n"), ...nss.split("\n")].filter((l) => new RegExp(`\\b${prefix}`).test(l));
}

/** The lab's name prefix, from its "bridge <prefix>br0 ..." line. */
const labPrefix = (stderr: string): string => /campaign: bridge (ewc[0-9a-f]{3})br0 /.exec(stderr)?.[1] ?? "ewc-none";

describe("campaign over the namespace/bridge lab", function () {
  this.timeout(300_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    requireBinary("ip");
    requireBinary("ethtool");
    requireBinary("iperf3");
    assert.equal(process.getuid?.(), 0, "this test needs root");
    dir = tempDir("campaign");
  });
  after(() => dir.remove());

  it("rejects an invalid spec before anything changes, listing every problem", async () => {
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, SPEC.replace("set: { tx_checksum: off }", "set: { tx_checksum: maybe, mtu: 10, congestion: nosuchcc }"));
    const p = start(["campaign", "run", bad, "--lab", "--data", join(dir.path, "bad.db")]);
    assert.equal(await p.exited, 78, p.stderr());
    for (const want of [/tx_checksum/, /mtu/, /nosuchcc/]) assert.match(p.stderr(), want);
    // why: other labs on this host (names of their own) may come and go meanwhile: this lab says when it builds.
    assert.doesNotMatch(p.stderr(), /campaign: bridge /, "nothing was built");
    assert.ok(!existsSync(join(dir.path, "bad.db")), "no store was even created");
  });

  it("runs, restores every setting (verified), and shows checksum-off below the default", async () => {
    const specPath = join(dir.path, "t1.yaml");
    writeFileSync(specPath, SPEC);
    const report = join(dir.path, "r.html");
    const p = start(["campaign", "run", specPath, "--lab", "--data", join(dir.path, "c.db"), "--json", "--report", report]);
    const code = await p.exited;
    assert.equal(code, 0, p.stderr().slice(-4000));
    const rec = parseExact(p.stdout()) as CampaignRecord;
    assert.equal(rec.status, "done");
    assert.deepEqual(rec.cells.map((c) => c.cell.id), ["baseline", "tx_checksum-off", "gro-gso-off"].map((id, i) => (i === 0 ? "baseline" : rec.cells[i]!.cell.id)));
    for (const c of rec.cells.slice(1)) {
      assert.ok(c.restores.length >= 1, `${c.cell.id} applied settings on an agent`);
      for (const r of c.restores) assert.ok(r.ok && r.verified, `${c.cell.id} restore on ${r.agentId}: ${r.detail}`);
    }
    const mean = (i: number) => rec.cells[i]!.result!.throughput.mean!;
    assert.ok(mean(1) < mean(0), `checksum off ${mean(1)} < default ${mean(0)}`);
    assert.ok(rec.cells.every((c) => (c.result?.throughput.n ?? 0) >= 2));
    assert.match(p.stderr(), /cells done, ETA/);
    assert.ok(p.stderr().includes(`campaign: report written to ${report}\n`), p.stderr().slice(-2000));
    assert.ok(Object.values(rec.verdicts).every((v) => ["same", "better", "worse", "unbalanced", "inconclusive"].includes(v.verdict) && !/\de\+\d/.test(v.reason)));
    const prefix = labPrefix(p.stderr());
    assert.notEqual(prefix, "ewc-none", p.stderr().slice(0, 2000));
    assert.deepEqual(leftovers(prefix), []);
    const html = readFileSync(report, "utf8");
    assert.match(html, /<svg/);
    assert.ok(html.includes(rec.id));
    // The campaign diagnosis: every run carries its findings; checksum-off is explained by the offloads finding.
    assert.ok(rec.cells.every((c) => c.runs.every((r) => (r.findings?.length ?? 0) > 0)), "every run has findings");
    const csum = rec.diagnosis?.cells.find((c) => c.cell_id === rec.cells[1]!.cell.id);
    assert.ok(csum, JSON.stringify(rec.diagnosis));
    const offloads = csum.changes.find((c) => c.rule === "offloads");
    assert.ok(offloads && offloads.to === "bottleneck" && offloads.end === "sender", csum.text);
    if (rec.verdicts[csum.cell_id]?.verdict === "worse") {
      assert.equal(csum.status, "explained", csum.text);
      assert.ok(csum.explained_by.includes("offloads"), csum.text);
    }
    // a measured term needs the sender profiled with enough samples; a starved host gives fewer (cpu-clock samples
    // follow the CPU iperf3 gets), and then the figure is the model's copy and the campaign claims no sender term
    const profiled = (i: number) => rec.cells[i]!.runs.some((r) => r.terms?.sender !== undefined);
    // the lab's agents profile the runs: the finding's figure is the measured checksum term when a run of the cell has one
    const unit = profiled(1) ? "us per packet measured" : "us added per packet";
    assert.ok(csum.text.includes("offloads became bottleneck at the sender (sender tx-checksumming ") && new RegExp(`tx-checksumming [\\d.]+ ${unit}\\)`).test(csum.text), `${unit}: ${csum.text}`);
    if (profiled(0) && profiled(1)) assert.ok(csum.term_changes.some((t) => t.end === "sender" && t.term === "checksum" && t.from_us === 0 && t.to_us > 0), JSON.stringify(csum.term_changes));
    else assert.ok(!csum.term_changes.some((t) => t.end === "sender"), `no sender profile with enough samples in one cell, yet: ${JSON.stringify(csum.term_changes)}`);
    process.stderr.write(`      campaign diagnosis: ${rec.diagnosis?.summary}\n${rec.diagnosis?.cells.map((c) => `        ${c.text}`).join("\n")}\n      baseline: ${JSON.stringify(rec.diagnosis?.baselines)}\n`);
    const row = new RegExp(`<tr data-cell="${csum.cell_id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";
    assert.match(row, /<td class="explanation" data-status="[a-z ]+">[\s\S]*offloads became bottleneck at the sender/);
    assert.ok(html.indexOf('id="diagnosis-section"') < html.indexOf('id="results-section"'));
    const show = start(["campaign", "show", rec.id, "--data", join(dir.path, "c.db")]);
    assert.equal(await show.exited, 0, show.stderr());
    const lines = show.stdout().split("\n");
    assert.match(lines[2] ?? "", /^diagnosis against the baseline \(engine \d+\): /);
    assert.ok(lines.slice(2, 8).some((l) => l.includes("offloads became bottleneck at the sender")), show.stdout());
  });
});
