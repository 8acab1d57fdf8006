// Runs Debian's perf bench on this machine. Under CI=true a missing perf fails the run (install: apt-get
// install -y linux-perf); elsewhere the suite is skipped with the reason.
import assert from "node:assert/strict";
import { calibrate, memcpyArgs, parseMemcpy, parseSyscallBasic, syscallArgs } from "../../../agent/src/calibrate/index.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { errorMessage } from "@eastwest/common";

describe("calibration with the real perf bench", function () {
  this.timeout(120_000);

  before(async function () {
    try {
      await realExec("perf", ["--version"]);
    } catch (err) {
      const why = `perf is not usable here (${errorMessage(err)}): apt-get install -y linux-perf`;
      if (process.env.CI === "true") throw new Error(why, { cause: err });
      this.skip();
    }
  });

  it("parses one run of each benchmark", async () => {
    const copy = parseMemcpy((await realExec("perf", memcpyArgs(65_536, 16_384))).stdout);
    const sys = parseSyscallBasic((await realExec("perf", syscallArgs(1_000_000))).stdout);
    assert.ok(copy > 0 && Number.isFinite(copy));
    assert.ok(sys.us_per_op > 0 && Number.isFinite(sys.us_per_op));
    assert.equal(sys.calls, 1_000_000);
  });

  it("measures copy bandwidth and system-call cost", async () => {
    const cal = await calibrate({ exec: realExec, repeats: 3 });
    const c = Object.fromEntries(cal.constants.map((k) => [k.name, k]));
    for (const name of ["copy_bytes_per_s", "copy_us", "syscall_us", "dram_copy_bytes_per_s"]) {
      assert.equal(c[name]?.measured, true, `${name}: ${c[name]?.detail}`);
      assert.ok((c[name]?.value ?? 0) > 0 && Number.isFinite(c[name]?.value), name);
    }
    assert.equal(c.exit_us?.measured, false);
    assert.ok(cal.timeNs > 0n);
    console.log(`      copy ${((c.copy_bytes_per_s?.value ?? 0) / 1e9).toFixed(2)} GB/s, DRAM copy ${((c.dram_copy_bytes_per_s?.value ?? 0) / 1e9).toFixed(2)} GB/s, syscall ${((c.syscall_us?.value ?? 0) * 1000).toFixed(0)} ns`);
  });
});
