import assert from "node:assert/strict";
import { CommandError } from "@eastwest/common";
import { calibrate, DEFAULT_CALIBRATION, memcpyArgs, syscallArgs } from "../../../agent/src/calibrate/index.ts";
import { median, perfSize } from "../../../agent/src/calibrate/calibrate.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import type { CalibrationConstant } from "@eastwest/proto";

const GiB = 1024 ** 3;
const memcpyOut = (gib: number) => `# Running 'mem/memcpy' benchmark:\n# function 'default' (Default memcpy() provided by glibc)\n# Copying 64KB bytes ...\n\n      ${gib.toFixed(6)} GB/sec\n`;
const syscallOut = (us: number) => `# Running 'syscall/basic' benchmark:\n# Executed 1000000 getppid() calls\n     Total time: 0.100 [sec]\n\n       ${us.toFixed(6)} usecs/op\n        10000000 ops/sec\n`;

interface Call {
  file: string;
  args: readonly string[];
}

/** An Exec answering perf bench from canned outputs, recording every call. */
function fakePerf(answer: (args: readonly string[], n: number) => string, calls: Call[] = []): Exec {
  return async (file, args) => {
    calls.push({ file, args });
    return { stdout: answer(args, calls.length), stderr: "" };
  };
}

const byName = (cs: CalibrationConstant[]) => Object.fromEntries(cs.map((c) => [c.name, c]));

describe("calibrate", () => {
  it("measures copy bandwidth and syscall cost as the median of the runs", async () => {
    const calls: Call[] = [];
    const copies = [20, 10, 30];
    const exec = fakePerf((args, n) => (args[1] === "mem" ? memcpyOut(args[4] === "64KB" ? (copies[(n - 1) % 3] ?? 0) : 5) : syscallOut(0.1 * n)), calls);
    const cal = await calibrate({ exec, repeats: 3, now: () => 42n });
    const c = byName(cal.constants);
    assert.equal(cal.timeNs, 42n);
    assert.deepEqual(Object.keys(c), ["copy_bytes_per_s", "copy_us", "syscall_us", "exit_us", "dram_copy_bytes_per_s"]);
    assert.equal(c.copy_bytes_per_s?.value, 20 * GiB);
    assert.equal(c.copy_bytes_per_s?.measured, true);
    assert.equal(c.copy_bytes_per_s?.method, "perf bench mem memcpy -s 64KB -l 16384 -f default");
    assert.match(c.copy_bytes_per_s?.detail ?? "", /^median of 3 runs \(min 10\.74 GB\/s, max 32\.21 GB\/s\)$/);
    assert.equal(c.copy_us?.value, (65_536 / (20 * GiB)) * 1e6);
    assert.equal(c.copy_us?.measured, true);
    assert.equal(c.syscall_us?.value.toFixed(6), "0.800000");
    assert.equal(c.dram_copy_bytes_per_s?.value, 5 * GiB);
    assert.equal(calls.length, 9);
    assert.ok(calls.every((k) => k.file === "perf"));
    assert.deepEqual(calls[6]?.args, syscallArgs(1_000_000));
    assert.deepEqual(calls[3]?.args, memcpyArgs(64 * 1024 * 1024, 8));
  });

  it("keeps the VM-exit default and says why", async () => {
    const cal = await calibrate({ exec: fakePerf((a) => (a[1] === "mem" ? memcpyOut(10) : syscallOut(0.1))), repeats: 1 });
    const exit = byName(cal.constants).exit_us;
    assert.deepEqual(exit, { name: "exit_us", value: 0.5, measured: false, method: "default", detail: "unavailable: needs a guest-side CPUID loop" });
  });

  it("takes the exit cost from the guest seam", async () => {
    const exec = fakePerf((a) => (a[1] === "mem" ? memcpyOut(10) : syscallOut(0.1)));
    const ok = byName((await calibrate({ exec, repeats: 1, exitCost: async () => 1.7 })).constants).exit_us;
    assert.equal(ok?.value, 1.7);
    assert.equal(ok?.measured, true);
    const bad = byName((await calibrate({ exec, repeats: 1, exitCost: async () => Promise.reject(new Error("no guest")) })).constants).exit_us;
    assert.equal(bad?.measured, false);
    assert.equal(bad?.detail, "unavailable: guest exit loop: no guest");
  });

  it("falls back to the defaults with the reason when perf is missing", async () => {
    const missing: Exec = async (file) => Promise.reject(new CommandError(`${file}: not found`, null, ""));
    const defaults = { ...DEFAULT_CALIBRATION, syscall_us: 0.7 };
    const c = byName((await calibrate({ exec: missing, defaults })).constants);
    for (const name of ["copy_bytes_per_s", "copy_us", "syscall_us", "dram_copy_bytes_per_s"]) {
      assert.equal(c[name]?.measured, false, name);
      assert.equal(c[name]?.method, "default", name);
      assert.match(c[name]?.detail ?? "", /^unavailable: perf bench .*: perf: not found$/, name);
    }
    assert.equal(c.copy_bytes_per_s?.value, 52e9);
    assert.equal(c.copy_us?.value, 1.2);
    assert.equal(c.syscall_us?.value, 0.7);
  });

  it("falls back when perf's output does not parse", async () => {
    const c = byName((await calibrate({ exec: fakePerf(() => "perf: 'bench' is not a perf-command\n"), repeats: 2 })).constants);
    assert.equal(c.copy_bytes_per_s?.measured, false);
    assert.match(c.copy_bytes_per_s?.detail ?? "", /no bandwidth line/);
    assert.match(c.syscall_us?.detail ?? "", /no "usecs\/op"/);
  });

  it("rethrows when aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(calibrate({ exec: fakePerf(() => memcpyOut(1)), signal: ac.signal }), { name: "AbortError" });
  });

  it("its defaults are the model's paper constants", () => {
    const { packet_bytes, copy_bytes_per_s, copy_us, syscall_us, exit_us } = PAPER_CONSTANTS;
    assert.deepEqual({ ...DEFAULT_CALIBRATION }, { packet_bytes, copy_bytes_per_s, copy_us, syscall_us, exit_us });
  });

  it("helpers: median, perf size units", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.deepEqual([perfSize(65_536), perfSize(64 * 1024 * 1024), perfSize(1500)], ["64KB", "64MB", "1500B"]);
  });
});
