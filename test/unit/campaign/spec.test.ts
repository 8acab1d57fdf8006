import assert from "node:assert/strict";
import { parseCampaignSpec, specDigest } from "../../../collector/src/campaign/spec.ts";
import { expandCells } from "../../../collector/src/campaign/matrix.ts";
import { fixture, problemsOf, yamlSpec } from "./helpers.ts";

function has(problems: string[], re: RegExp): void {
  assert.ok(problems.some((p) => re.test(p)), `no problem matching ${re} in:\n${problems.join("\n")}`);
}

describe("campaign spec: valid files", () => {
  it("reads the Table 1 fixture with its defaults filled in", () => {
    const s = parseCampaignSpec(fixture("table1.yaml"), "yaml");
    assert.equal(s.name, "table1");
    assert.equal(s.mode, "one_at_a_time");
    assert.deepEqual(s.endpoints[0], { name: "vm-a-vm-b", server: { agentId: "vm-b", interface: "eth0" }, client: { agentId: "vm-a", interface: "eth0" }, serverAddress: "10.231.0.12", port: 5201 });
    assert.deepEqual(s.baseline, { name: "default (GRO + GSO on)", streams: 1, length_bytes: 0, direction: "forward" });
    assert.deepEqual(s.repetitions, { min: 3, max: 10, ci_target_pct: 2, confidence: 0.95 });
    assert.deepEqual(s.matrix, { congestion: ["reno", "bic", "vegas", "cdg", "bbr"] });
    assert.equal(s.cells.length, 6);
    assert.deepEqual(s.cells[3], { id: "gro-gso-off", name: "GRO + GSO off", set: { gso: "off", gro: "off" } });
    assert.equal(s.apply_on, "both");
    assert.equal(s.max_cells, 200);
  });

  it("reads JSON and names a pair after its agents by default", () => {
    const s = parseCampaignSpec(fixture("table1.json"), "json");
    assert.equal(s.endpoints[0]?.name, "vm-b-vm-a");
    assert.equal(s.duration_s, 10);
    assert.deepEqual(s.repetitions, { min: 3, max: 10, ci_target_pct: 5, confidence: 0.95 });
  });

  it("takes YAML booleans for on/off", () => {
    const s = parseCampaignSpec(yamlSpec("matrix: { gro: [false, true] }"), "yaml");
    assert.deepEqual(s.matrix.gro, ["off", "on"]);
  });

  it("checks congestion controls against what the agents' kernels offer", () => {
    const ctx = { availableCongestion: ["reno", "cubic", "bbr"] };
    assert.deepEqual(parseCampaignSpec(yamlSpec("matrix: { congestion: [bbr] }"), "yaml", ctx).matrix.congestion, ["bbr"]);
    const problems = problemsOf(() => parseCampaignSpec(yamlSpec("matrix: { congestion: [bbr, vegas] }"), "yaml", ctx));
    assert.deepEqual(problems, ['matrix.congestion[1]: unknown congestion control "vegas"; the agents\' kernels offer: bbr, cubic, reno']);
  });

  it("gives the same digest for the same spec, a different one when a parameter changes", () => {
    const a = parseCampaignSpec(fixture("table1.yaml"), "yaml");
    const b = parseCampaignSpec(fixture("table1.yaml"), "yaml");
    assert.equal(specDigest(a), specDigest(b));
    assert.match(specDigest(a), /^[0-9a-f]{64}$/);
    assert.equal(specDigest({ ...a, description: "other words" }), specDigest(a));
    assert.notEqual(specDigest({ ...a, duration_s: 30 }), specDigest(a));
  });

  it("profile: true by default and left out of the digest then (older specs keep theirs); false reaches every cell's run", () => {
    const on = parseCampaignSpec(yamlSpec("matrix: { tx_checksum: [off] }"), "yaml");
    const off = parseCampaignSpec(yamlSpec("matrix: { tx_checksum: [off] }\nprofile: false"), "yaml");
    assert.deepEqual([on.profile, off.profile], [true, false]);
    const { profile: _p, ...older } = on;
    assert.equal(specDigest(older as typeof on), specDigest(on));
    assert.notEqual(specDigest(off), specDigest(on));
    assert.ok(expandCells(off).every((c) => c.run.profile === false));
    assert.ok(expandCells(on).every((c) => c.run.profile === undefined));
    assert.deepEqual(problemsOf(() => parseCampaignSpec(yamlSpec("profile: maybe"), "yaml")).map((p) => p.split(":")[0]), ["profile"]);
  });
});

describe("campaign spec: every problem at once", () => {
  it("field and cross-field problems of one file together", () => {
    const problems = problemsOf(() => parseCampaignSpec(fixture("invalid-many.yaml"), "yaml"));
    has(problems, /^matrix\.congestion\[6\]: unknown congestion control "foo"; known: cubic, reno/);
    has(problems, /^matrix\.mtu\[2\]: Too small: expected number to be >=68/);
    has(problems, /^cells\[2\]\.set\.direction: Invalid option: expected one of "forward"\|"reverse"\|"bidir"/);
    has(problems, /^cells\[1\]: id "jumbo" already used by cells\[0\]/);
    has(problems, /^too many cells: at least 255 > max_cells 200/);
    assert.equal(problems.length, 5);
  });

  it("rules across fields of a schema-valid file", () => {
    const problems = problemsOf(() => parseCampaignSpec(fixture("invalid-semantic.yaml"), "yaml"));
    assert.deepEqual(problems, [
      "repetitions.max: 3 < repetitions.min 5",
      "endpoints[0].server.interface: required: the campaign changes offloads, qdisc or MTU on it",
      "cells[0]: changes nothing from the baseline (give it an id to repeat the baseline on purpose)",
      'cells[1]: id "gro-off" already used by the matrix cell gro-off (give this cell an id)',
      "too many cells: 11 > max_cells 5; use mode one_at_a_time, fewer values, explicit cells, or raise max_cells (at most 1000)",
    ]);
  });

  it("the baseline takes run parameters only", () => {
    const problems = problemsOf(() => parseCampaignSpec(fixture("invalid-baseline.yaml"), "yaml"));
    has(problems, /^baseline\.gro: the baseline is each host's current state; vary gro in matrix or cells$/);
    has(problems, /^baseline\.congestion: the baseline is each host's current state/);
    has(problems, /^baseline\.streams: Too small/);
    has(problems, /^endpoints\[0\]\.serverAddress: must be an IP address$/);
    has(problems, /^\(top level\): Unrecognized key: "unknown_key"/);
    assert.equal(problems.length, 5);
  });

  it("YAML syntax errors and duplicate keys stop before the schema", () => {
    const problems = problemsOf(() => parseCampaignSpec(fixture("invalid-yaml.yaml"), "yaml"));
    has(problems, /^not valid YAML: Map keys must be unique/);
    assert.ok(problems.every((p) => p.startsWith("not valid YAML")));
  });

  it("a YAML alias bomb is a bad spec (ConfigError, HTTP 400), not a server fault", () => {
    // Nine levels of ten aliases each: 10^9 strings if expanded.
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? "*a" : `*l${i - 1}`).join(",")}]`);
    const problems = problemsOf(() => parseCampaignSpec(lines.join("\n"), "yaml"));
    assert.deepEqual(problems.length, 1);
    has(problems, /^not valid YAML: Excessive alias count/);
  });

  it("JSON syntax errors and a non-object document", () => {
    has(problemsOf(() => parseCampaignSpec("{", "json")), /^not valid JSON/);
    has(problemsOf(() => parseCampaignSpec("", "yaml")), /^\(top level\): Invalid input: expected object/);
  });

  it("qdiscs outside the allow-list, duplicate axis values, unknown axes, bad repetitions", () => {
    const extra = ["matrix: { qdisc: [fq, cake], gro: [off, off], rx_busy_poll: [on], congestion: [Bbr, abcdefghijklmnop] }", "repetitions: { confidence: 1, ci_target_pct: 0 }", "endpoints_extra: 1"].join("\n");
    const problems = problemsOf(() => parseCampaignSpec(yamlSpec(extra), "yaml"));
    has(problems, /^matrix\.qdisc\[1\]: Invalid option/);
    has(problems, /^matrix\.gro\[1\]: duplicate value "off"/);
    has(problems, /^matrix: Unrecognized key: "rx_busy_poll"/);
    has(problems, /^matrix\.congestion\[0\]: congestion control: a lowercase name of 1\.\.15 characters/);
    has(problems, /^matrix\.congestion\[1\]: congestion control: a lowercase name/);
    assert.equal(problems.filter((p) => p.startsWith("matrix.congestion")).length, 2);
    has(problems, /^repetitions\.confidence: Too big/);
    has(problems, /^repetitions\.ci_target_pct: Too small/);
    has(problems, /^\(top level\): Unrecognized key: "endpoints_extra"/);
  });

  it("pair names: no '.', unique; a default name is made safe", () => {
    const ep = (name: string, agent: string) => `  - { name: ${name}, server: { agentId: ${agent} }, client: { agentId: c }, serverAddress: 10.0.0.1 }`;
    const text = ["name: t", "endpoints:", ep("a.b", "s"), ep("x", "s"), ep("x", "s")].join("\n");
    assert.deepEqual(problemsOf(() => parseCampaignSpec(text, "yaml")), ["endpoints[0].name: a name of letters, digits, '_', '-'"]);
    const dup = ["name: t", "endpoints:", ep("x", "s"), ep("x", "s")].join("\n");
    assert.deepEqual(problemsOf(() => parseCampaignSpec(dup, "yaml")), ['endpoints[1].name: "x" already names endpoints[0]']);
    const dotted = "name: t\nendpoints:\n  - { server: { agentId: hv01.lab }, client: { agentId: c }, serverAddress: 10.0.0.1 }";
    assert.equal(parseCampaignSpec(dotted, "yaml").endpoints[0]?.name, "hv01-lab-c");
  });

  it("a cartesian matrix over the cap is refused before it is expanded", () => {
    const axes = ["streams: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]", "mtu: [1500, 9000, 4000, 2000, 3000, 5000, 6000, 7000]", "length_bytes: [1, 2, 3, 4, 5, 6, 7, 8]"];
    const text = yamlSpec(`mode: cartesian\nmax_cells: 1000\nmatrix:\n  ${axes.join("\n  ")}\n  gro: [on, off]\n  gso: [on, off]\n  tso: [on, off]`);
    assert.deepEqual(problemsOf(() => parseCampaignSpec(text, "yaml")), [
      "too many cells: 10241 > max_cells 1000; use mode one_at_a_time, fewer values, explicit cells, or raise max_cells (at most 1000)",
    ]);
  });
});
