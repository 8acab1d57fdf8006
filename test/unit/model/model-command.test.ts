import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modelCommand } from "../../../cli/src/commands/model.ts";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await modelCommand.run(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe("eastwest model", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "eastwest-model-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the study's table by default", async () => {
    const r = await run();
    assert.equal(r.code, 0);
    assert.equal(r.err, "");
    assert.match(r.out, /^per packet\s+7\.8 us$/m);
    assert.match(r.out, /^64 KiB packets\/s\s+128,205$/m);
    assert.match(r.out, /^ceiling\s+67\.2 Gbit\/s$/m);
  });

  it("adds 61 % efficiency for --measured-gbit-s 41", async () => {
    const r = await run("--measured-gbit-s", "41");
    assert.match(r.out, /^efficiency\s+61 %/m);
  });

  it("prints JSON with the version, constants and efficiency", async () => {
    const r = await run("--json", "--measured-gbit-s", "41");
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.equal(j.model_version, "1");
    assert.equal(j.per_packet_us.toFixed(1), "7.8");
    assert.equal(Math.round(j.packets_per_s), 128_205);
    assert.equal(j.max_gbit_s.toFixed(1), "67.2");
    assert.equal(j.efficiency.toFixed(2), "0.61");
    assert.equal(j.measured_gbit_s, 41);
    assert.deepEqual(j.constants, { packet_bytes: 65536, copies: 4, copy_us: 1.2, copy_bytes_per_s: 52e9, syscalls: 2, syscall_us: 0.5, exits: 4, exit_us: 0.5 });
    assert.deepEqual(j.terms.map((t: { term: string }) => t.term), ["copies", "syscalls", "exits"]);
    assert.equal("efficiency" in JSON.parse((await run("--json")).out), false);
  });

  it("takes every constant from flags", async () => {
    const r = await run("--json", "--packet-bytes", "65536", "--copies", "2", "--copy-bytes-per-s", "65.536e9", "--syscalls", "1", "--syscall-us", "1", "--exits", "1", "--exit-us", "1");
    const j = JSON.parse(r.out);
    assert.equal(j.copy_basis, "copy_bytes_per_s");
    assert.equal(j.constants.copy_us, null);
    assert.equal(j.per_packet_us.toFixed(6), "4.000000");
    const us = JSON.parse((await run("--json", "--copy-us", "2")).out);
    assert.equal(us.per_packet_us.toFixed(1), "11.0");
  });

  it("reads the model: section of a YAML or JSON file; flags win", async () => {
    const yaml = join(dir, "eastwest.yaml");
    writeFileSync(yaml, "collector:\n  listen: 1\nmodel:\n  exits: 2\n  exit_us: 1\n");
    const j = JSON.parse((await run("--json", "--config", yaml, "--exit-us", "0.5")).out);
    assert.equal(j.constants.exits, 2);
    assert.equal(j.constants.exit_us, 0.5);
    const json = join(dir, "eastwest.json");
    writeFileSync(json, JSON.stringify({ model: { syscalls: 0 } }));
    assert.equal(JSON.parse((await run("--json", "-c", json)).out).per_packet_us.toFixed(1), "6.8");
  });

  it("exits 64 (an unknown flag among them) listing every bad flag at once; 78 for bad values alone", async () => {
    assert.equal((await run("--copies", "abc")).code, 78);
    const r = await run("--copies", "abc", "--exits=-1", "--bogus", "--packet-bytes", "0", "--measured-gbit-s", "-3");
    assert.equal(r.code, 64);
    assert.equal(r.out, "");
    for (const want of ['--copies: not a number (got "abc")', "--exits: must be >= 0 (got -1)", "unknown flag --bogus", "--packet-bytes: must be >= 1 (got 0)", "--measured-gbit-s: must be >= 0 (got -3)"]) {
      assert.ok(r.err.includes(want), `missing ${want} in:\n${r.err}`);
    }
  });

  it("exits 78 for a bad config file, with the file's problems", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "model:\n  exits: many\n  nope: 1\n");
    const r = await run("-c", bad, "--copies", "x");
    assert.equal(r.code, 78);
    assert.match(r.err, /model\.exits: .*expected number/);
    assert.match(r.err, /unknown key\(s\) nope/);
    assert.match(r.err, /--copies: not a number/);
    assert.equal((await run("-c", join(dir, "missing.yaml"))).code, 78);
  });

  it("prints usage for --help", async () => {
    const r = await run("--help");
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: eastwest model/);
    assert.equal(modelCommand.name, "model");
    assert.ok(modelCommand.usage.includes("--copy-bytes-per-s"));
  });

  it("prints the effective constants as a loadable model: section", async () => {
    const file = join(dir, "printed.json");
    const printed = (await run("--print-config", "--copy-bytes-per-s", "30e9", "--exits", "3")).out;
    writeFileSync(file, printed);
    const again = JSON.parse((await run("--json", "-c", file)).out);
    assert.deepEqual(again.constants, { ...JSON.parse(printed).model, copy_us: null });
  });
});
