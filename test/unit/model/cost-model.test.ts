import assert from "node:assert/strict";
import { ceiling, efficiency, MODEL_VERSION, PAPER_CONSTANTS, resolveConstants, type ModelConstants } from "../../../collector/src/model/cost-model.ts";
import { formatCeiling } from "../../../collector/src/model/format.ts";

const paper = (): ModelConstants => ({ ...PAPER_CONSTANTS });

describe("cost model: the study's table", () => {
  const c = ceiling(paper());

  it("prints 7.8 us, 128,205 packets/s, 67.2 Gbit/s", () => {
    assert.equal(c.per_packet_us.toFixed(1), "7.8");
    assert.equal(Math.round(c.packets_per_s ?? 0), 128_205);
    assert.equal(c.max_gbit_s?.toFixed(1), "67.2");
    const text = formatCeiling(c);
    assert.match(text, /^per packet\s+7\.8 us$/m);
    assert.match(text, /^64 KiB packets\/s\s+128,205$/m);
    assert.match(text, /^ceiling\s+67\.2 Gbit\/s$/m);
  });

  it("has the study's rows: 4 x 1.2 = 4.8, 2 x 0.5 = 1.0, 4 x 0.5 = 2.0", () => {
    const rows = c.terms.map((t) => [t.term, t.count, t.unit_us, Number(t.total_us.toFixed(6))]);
    assert.deepEqual(rows, [
      ["copies", 4, 1.2, 4.8],
      ["syscalls", 2, 0.5, 1],
      ["exits", 4, 0.5, 2],
    ]);
    assert.ok(c.terms.every((t) => t.reason === undefined));
  });

  it("is 61 % efficient at 41 Gbit/s measured", () => {
    const eff = efficiency(41, c);
    assert.equal(eff?.toFixed(2), "0.61");
    assert.match(formatCeiling(c, 41, eff), /^efficiency\s+61 % \(41 of 67\.2 Gbit\/s\)$/m);
  });

  it("carries the model version and the constants it used", () => {
    assert.equal(MODEL_VERSION, "1");
    assert.equal(c.model_version, "1");
    assert.deepEqual(c.constants, paper());
    assert.equal(c.copy_basis, "copy_us");
  });

  it("derives the copy from bandwidth when copy_us is cleared: 65,536 B / 52e9 B/s = 1.26 us", () => {
    const d = ceiling({ ...paper(), copy_us: null });
    assert.equal(d.copy_basis, "copy_bytes_per_s");
    assert.equal(d.terms[0]?.unit_us.toFixed(2), "1.26");
    assert.equal(d.per_packet_us.toFixed(2), "8.04");
    assert.equal(d.max_gbit_s?.toFixed(1), "65.2");
  });
});

describe("cost model: ceiling edge cases", () => {
  it("reports no bound when the per-packet time is 0", () => {
    const c = ceiling({ ...paper(), copies: 0, syscalls: 0, exits: 0 });
    assert.equal(c.per_packet_us, 0);
    assert.equal(c.packets_per_s, null);
    assert.equal(c.max_gbit_s, null);
    assert.match(c.reason ?? "", /no bound/);
    assert.equal(efficiency(41, c), null);
  });

  it("counts an invalid constant as 0 and says so", () => {
    const c = ceiling({ ...paper(), exit_us: -1, copies: Number.NaN });
    assert.equal(c.terms[2]?.total_us, 0);
    assert.match(c.terms[2]?.reason ?? "", /exit_us -1/);
    assert.equal(c.terms[0]?.count, 0);
    assert.match(c.terms[0]?.reason ?? "", /count NaN/);
    assert.equal(c.per_packet_us, 1);
  });

  it("rejects a zero copy bandwidth on the bandwidth basis", () => {
    const c = ceiling({ ...paper(), copy_us: null, copy_bytes_per_s: 0 });
    assert.equal(c.terms[0]?.unit_us, 0);
    assert.match(c.terms[0]?.reason ?? "", /copy_bytes_per_s 0/);
  });

  it("efficiency is null for a negative or non-finite measurement, 0 for 0", () => {
    const c = ceiling(paper());
    assert.equal(efficiency(-1, c), null);
    assert.equal(efficiency(Number.NaN, c), null);
    assert.equal(efficiency(Number.POSITIVE_INFINITY, c), null);
    assert.equal(efficiency(0, c), 0);
  });
});

describe("resolveConstants", () => {
  it("applies defaults < file < flags; undefined never overrides", () => {
    const r = resolveConstants(paper(), { exits: 2, syscalls: 3 }, { exits: 6, syscalls: undefined });
    assert.equal(r.exits, 6);
    assert.equal(r.syscalls, 3);
    assert.equal(r.copy_us, 1.2);
  });

  it("a bandwidth or packet size without copy_us clears the stated copy cost", () => {
    assert.equal(resolveConstants(paper(), undefined, { copy_bytes_per_s: 20e9 }).copy_us, null);
    assert.equal(resolveConstants(paper(), { packet_bytes: 1500 }).copy_us, null);
    assert.equal(resolveConstants(paper(), { packet_bytes: 1500, copy_us: 0.1 }).copy_us, 0.1);
  });

  it("a higher layer's copy_us wins over a lower layer's bandwidth", () => {
    const r = resolveConstants(paper(), { copy_bytes_per_s: 20e9 }, { copy_us: 2 });
    assert.equal(r.copy_us, 2);
    assert.equal(r.copy_bytes_per_s, 20e9);
  });

  it("does not mutate its inputs", () => {
    const d = paper();
    const file = { exits: 1 };
    resolveConstants(d, file, { copy_bytes_per_s: 1e9 });
    assert.deepEqual(d, paper());
    assert.deepEqual(file, { exits: 1 });
  });
});
