import assert from "node:assert/strict";
import { calibrateCommand, makeCalibrateCommand } from "../../../cli/src/commands/calibrate.ts";
import type { Calibration } from "@eastwest/proto";

/** A calibration as this host might report it: copies at 26 GB/s (64 KiB) and 5 GB/s (DRAM), syscalls 0.1 us. */
const CAL: Calibration = {
  timeNs: 1_700_000_000_000_000_000n,
  constants: [
    { name: "copy_bytes_per_s", value: 26.2144e9, measured: true, method: "perf bench mem memcpy", detail: "median of 5 runs" },
    { name: "copy_us", value: 2.5, measured: true, method: "derived from copy_bytes_per_s", detail: "" },
    { name: "syscall_us", value: 0.1, measured: true, method: "perf bench syscall basic", detail: "" },
    { name: "exit_us", value: 0.5, measured: false, method: "default", detail: "unavailable: needs a guest-side CPUID loop" },
    { name: "dram_copy_bytes_per_s", value: 5.24288e9, measured: true, method: "perf bench mem memcpy", detail: "" },
  ],
};

async function run(argv: string[], cal: Calibration = CAL) {
  let out = "";
  let err = "";
  const seen: number[] = [];
  const cmd = makeCalibrateCommand({ calibrate: async ({ repeats }) => (seen.push(repeats), cal) });
  const code = await cmd.run(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err, seen };
}

describe("eastwest calibrate", () => {
  it("prints the constants and the ceiling next to the study's", async () => {
    const r = await run([]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.seen, [5]);
    assert.match(r.out, /^copy_bytes_per_s\s+26\.21 GB\/s\s+measured\s+perf bench mem memcpy$/m);
    assert.match(r.out, /^exit_us\s+0\.5 us\s+default\s+default$/m);
    assert.match(r.out, /exit_us: unavailable: needs a guest-side CPUID loop/);
    assert.match(r.out, /^model\s+paper\s+this host\s+this host, DRAM copies$/m);
    // host: 4 x 65,536 B / 26.2144e9 B/s = 4 x 2.5 us, + 2 x 0.1 + 4 x 0.5 = 12.2 us; DRAM copies 12.5 us each.
    assert.match(r.out, /^copy cost per copy\s+1\.2 us\s+2\.5 us\s+12\.5 us$/m);
    assert.match(r.out, /^per packet\s+7\.8 us\s+12\.2 us\s+52\.2 us$/m);
    assert.match(r.out, /^64 KiB packets\/s\s+128,205\s+81,967\s+19,157$/m);
    assert.match(r.out, /^ceiling\s+67\.2 Gbit\/s\s+43\.0 Gbit\/s\s+10\.0 Gbit\/s$/m);
  });

  it("prints JSON with the calibration and the ceilings", async () => {
    const j = JSON.parse((await run(["--json", "--repeats", "2"])).out);
    assert.equal(j.calibration.constants.length, 5);
    assert.equal(j.calibration.timeNs, "1700000000000000000");
    assert.equal(j.paper.per_packet_us.toFixed(1), "7.8");
    assert.equal(j.host.per_packet_us.toFixed(1), "12.2");
    assert.equal(j.host.copy_basis, "copy_bytes_per_s");
    assert.equal(j.host_dram.per_packet_us.toFixed(1), "52.2");
  });

  it("leaves out the DRAM column when it was not measured", async () => {
    const cal = { ...CAL, constants: CAL.constants.filter((c) => c.name !== "dram_copy_bytes_per_s") };
    const r = await run([], cal);
    assert.doesNotMatch(r.out, /DRAM/);
  });

  it("exits 64 on an unknown flag (78 on a bad value alone), listing them all", async () => {
    assert.equal((await run(["--repeats", "0"])).code, 78);
    const r = await run(["--repeats", "0", "--bogus"]);
    assert.equal(r.code, 64);
    assert.deepEqual(r.seen, []);
    assert.match(r.err, /unknown flag --bogus/);
    assert.match(r.err, /--repeats: must be a whole number in 1\.\.50 \(got 0\)/);
  });

  it("prints usage for --help without calibrating", async () => {
    const r = await run(["--help"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.seen, []);
    assert.match(r.out, /^usage: eastwest calibrate/);
    assert.equal(calibrateCommand.name, "calibrate");
  });
});
