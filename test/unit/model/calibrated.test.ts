import assert from "node:assert/strict";
import { calibrationLayer, constantsFromCalibration } from "../../../collector/src/model/calibrated.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";

describe("constants from a calibration", () => {
  const constants = [
    { name: "copy_bytes_per_s", value: 20e9, measured: true, method: "perf", detail: "" },
    { name: "copy_us", value: 3.2768, measured: true, method: "derived", detail: "" },
    { name: "syscall_us", value: 0.5, measured: false, method: "default", detail: "unavailable: perf: not found" },
    { name: "exit_us", value: 1.5, measured: true, method: "guest exit loop", detail: "" },
    { name: "dram_copy_bytes_per_s", value: 5e9, measured: true, method: "perf", detail: "" },
  ];

  it("applies measured constants only; a measured bandwidth replaces the stated copy cost", () => {
    assert.deepEqual(calibrationLayer({ constants }), { copy_bytes_per_s: 20e9, exit_us: 1.5 });
    const c = constantsFromCalibration({ constants }, { ...PAPER_CONSTANTS, syscall_us: 0.3 });
    assert.equal(c.copy_us, null);
    assert.equal(c.copy_bytes_per_s, 20e9);
    assert.equal(c.syscall_us, 0.3);
    assert.equal(c.exit_us, 1.5);
  });

  it("ignores unusable values", () => {
    const bad = [{ name: "syscall_us", value: Number.NaN, measured: true, method: "", detail: "" }];
    assert.deepEqual(calibrationLayer({ constants: bad }), {});
    // An agent's calibration is a claim: values the config would refuse are left to the base constants.
    const absurd = [
      { name: "exit_us", value: 1e300, measured: true, method: "", detail: "" },
      { name: "copy_bytes_per_s", value: 1e20, measured: true, method: "", detail: "" },
      { name: "syscall_us", value: 0.3, measured: true, method: "", detail: "" },
    ];
    assert.deepEqual(calibrationLayer({ constants: absurd }), { syscall_us: 0.3 });
  });
});
