// `eastwest campaign report` against a real embedded store file: writes the report and says where.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { campaignCommand } from "../../../cli/src/commands/campaign.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";
import { parseCampaignSpec } from "../../../collector/src/campaign/spec.ts";
import type { CampaignRecord } from "../../../collector/src/campaign/runner.ts";
import { yamlSpec } from "../../unit/campaign/helpers.ts";

describe("eastwest campaign report", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: string;

  before(async () => {
    dir = tempDir("report-cli");
    db = join(dir.path, "store.db");
    const spec = parseCampaignSpec(yamlSpec(), "yaml");
    const rec: CampaignRecord = { id: "c-cli", name: "t", spec, spec_digest: "d", status: "done", error: null, startedNs: 0n, finishedNs: 1n, cellsTotal: 0, cells: [], verdicts: {}, comparison: null };
    const store = new EmbeddedStore(db);
    await store.open();
    await store.putRecord("campaign", rec.id, rec);
    await store.close();
  });
  after(() => dir.remove());

  it("prints the absolute path of the report it wrote", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const file = join(dir.path, "r.html");
    const code = await campaignCommand.run(["report", "c-cli", "--data", db, "--out", file], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    assert.equal(code, 0, err.join(""));
    assert.ok(existsSync(file));
    assert.match(readFileSync(file, "utf8"), /^<!doctype html>/);
    assert.equal(out.join(""), `${file}\n`);
    assert.equal(err.join(""), `campaign: report written to ${file}\n`);
  });
});
