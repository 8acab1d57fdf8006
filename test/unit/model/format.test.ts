import assert from "node:assert/strict";
import { ceiling, PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { fmtCount, fmtInt, fmtPct, fmtUs, formatCeiling, packetsUnit, renderTable } from "../../../collector/src/model/format.ts";

describe("format", () => {
  it("renders the study's table exactly", () => {
    const expected = [
      "term      count  unit cost   total",
      "----------------------------------",
      "copies        4     1.2 us  4.8 us",
      "syscalls      2     0.5 us  1.0 us",
      "exits         4     0.5 us  2.0 us",
      "----------------------------------",
      "per packet        7.8 us",
      "64 KiB packets/s  128,205",
      "ceiling           67.2 Gbit/s",
      "efficiency        61 % (41 of 67.2 Gbit/s)",
      "",
      "copy cost: 1.2 us per 65,536 B copy as stated (65,536 B / 52.0 GB/s = 1.26 us)",
      "model version 1",
      "",
    ].join("\n");
    assert.equal(formatCeiling(ceiling({ ...PAPER_CONSTANTS }), 41, 41 / 67.21641025641026), expected);
  });

  it("names the model's packet: 64 KiB packets/s, else its size in bytes", () => {
    assert.equal(packetsUnit(65_536), "64 KiB packets/s");
    assert.equal(packetsUnit(1500), "1,500 B packets/s");
    assert.equal(packetsUnit(9216), "9 KiB packets/s");
  });

  it("formats microseconds, counts, integers and percentages", () => {
    assert.deepEqual([fmtUs(1.2), fmtUs(4.8), fmtUs(1), fmtUs(0.107), fmtUs(1.2603), fmtUs(0.0288), fmtUs(0), fmtUs(-1.25)], [
      "1.2", "4.8", "1.0", "0.11", "1.26", "0.029", "0.0", "-1.25",
    ]);
    assert.deepEqual([fmtCount(4), fmtCount(3.2678), fmtCount(0)], ["4", "3.27", "0"]);
    assert.deepEqual([fmtInt(128205.128), fmtInt(999), fmtInt(1000), fmtInt(-1234567)], ["128,205", "999", "1,000", "-1,234,567"]);
    assert.deepEqual([fmtPct(0.60997), fmtPct(-0.25)], ["61 %", "-25 %"]);
    // Beyond exact integers: exponent notation, never grouped exponent digits or "Infinity %".
    assert.deepEqual([fmtInt(1.4073748835532798e25), fmtInt(1e15), fmtPct(1.78e306)], ["1.41e+25", "1.00e+15", "1.78e+308 %"]);
  });

  it("pads columns to the widest cell", () => {
    assert.deepEqual(renderTable([["a", "1"], ["bbb", "22"]]), ["a     1", "bbb  22"]);
    assert.deepEqual(renderTable([["a", "1"], ["bbb", "22"]], true), ["a    1", "bbb  22"]);
  });

  it("says unbounded when the model sets no bound", () => {
    const text = formatCeiling(ceiling({ ...PAPER_CONSTANTS, copies: 0, syscalls: 0, exits: 0 }), 41, null);
    assert.match(text, /^64 KiB packets\/s\s+unbounded$/m);
    assert.match(text, /^efficiency\s+n\/a/m);
  });
});
