import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Calibration } from "@eastwest/proto";
import { makeCalibrateCommand } from "../../../cli/src/commands/calibrate.ts";
import { modelCommand } from "../../../cli/src/commands/model.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";

/** Copies at 26.2144 GB/s (2.5 us per 64 KiB), syscalls 0.1 us; the VM exit not measured. */
const CAL: Calibration = {
  timeNs: 1_795_000_000_000_000_000n,
  constants: [
    { name: "copy_bytes_per_s", value: 26.2144e9, measured: true, method: "perf bench mem memcpy", detail: "median of 5 runs" },
    { name: "copy_us", value: 2.5, measured: true, method: "derived from copy_bytes_per_s", detail: "" },
    { name: "syscall_us", value: 0.1, measured: true, method: "perf bench syscall basic", detail: "" },
    { name: "exit_us", value: 0.5, measured: false, method: "default", detail: "unavailable: needs a guest-side CPUID loop" },
  ],
};

async function run(cmd: { run: (a: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number> }, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await cmd.run(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe("eastwest model --calibration", () => {
  let dir: ReturnType<typeof tempDir>;
  let saved: string;
  const before_ = process.env["EASTWEST_CALIBRATION_DIR"];
  before(async () => {
    dir = tempDir("model-cal");
    process.env["EASTWEST_CALIBRATION_DIR"] = join(dir.path, "cals");
    const calibrate = makeCalibrateCommand({ calibrate: async () => CAL, calibrationDir: () => join(dir.path, "cals") });
    const r = await run(calibrate, "--json");
    assert.equal(r.code, 0, r.err);
    const names = readdirSync(join(dir.path, "cals"));
    assert.equal(names.length, 1);
    assert.match(names[0]!, /^calibration-20261118T\d{6}\.\d{3}Z\.json$/);
    saved = join(dir.path, "cals", names[0]!);
    assert.equal(r.err, `calibrate: saved to ${saved} (use it: eastwest model --calibration latest)\n`);
    writeFileSync(join(dir.path, "cal.json"), r.out);
  });
  after(() => {
    if (before_ === undefined) delete process.env["EASTWEST_CALIBRATION_DIR"];
    else process.env["EASTWEST_CALIBRATION_DIR"] = before_;
    dir.remove();
  });

  it("FILE: takes the measured constants and says which", async () => {
    const r = await run(modelCommand, "--calibration", join(dir.path, "cal.json"));
    assert.equal(r.code, 0, r.err);
    // 4 x 2.5 us + 2 x 0.1 us + 4 x 0.5 us = 12.2 us
    assert.match(r.out, /^per packet\s+12\.2 us$/m);
    assert.match(r.out, /^ceiling\s+43\.0 Gbit\/s$/m);
    assert.match(r.out, new RegExp(`^from the calibration ${join(dir.path, "cal.json").replace(/[.]/g, "\\.")} \\(measured 2026-11-18T`, "m"));
    assert.match(r.out, /^  copy_bytes_per_s = 26\.21 GB\/s \(calibrated: perf bench mem memcpy\)$/m);
    assert.match(r.out, /^  syscall_us = 0\.1 us \(calibrated: perf bench syscall basic\)$/m);
    assert.match(r.out, /^  not used: copy_us: follows from copy_bytes_per_s: the model derives the copy cost from the bandwidth$/m);
    assert.match(r.out, /^  not used: exit_us: not measured \(unavailable: needs a guest-side CPUID loop\): the default is kept$/m);
  });

  it("latest: the newest saved by eastwest calibrate; flags still override, and say so", async () => {
    const r = await run(modelCommand, "--calibration", "latest", "--syscall-us", "1", "--json");
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.calibration.source, saved);
    assert.deepEqual(j.calibration.applied.map((a: { constant: string }) => a.constant), ["copy_bytes_per_s", "syscall_us"]);
    assert.deepEqual(j.calibration.overridden_by_flags, ["syscall_us"]);
    assert.equal(j.constants.syscall_us, 1);
    assert.equal(j.constants.copy_bytes_per_s, 26.2144e9);
    assert.equal(j.constants.copy_us, null);
  });

  it("latest --data: the newest calibration an agent reported to a collector store", async () => {
    const db = join(dir.path, "store.db");
    const store = new EmbeddedStore(db);
    await store.open();
    const agent = { role: "host" as const, hostname: "h", kernel: "k", machineUuid: "u", netns: "n", capabilities: [], agentVersion: "0", pid: 1, firstSeenNs: 1n, lastSeenNs: 1n, connected: false, highestSeq: 0n };
    await store.upsertAgent({ ...agent, agentId: "old", calibration: { ...CAL, timeNs: 1n, constants: [{ ...CAL.constants[2]!, value: 0.9 }] } });
    await store.upsertAgent({ ...agent, agentId: "new", calibration: CAL });
    await store.upsertAgent({ ...agent, agentId: "none", calibration: null });
    await store.close();
    const r = await run(modelCommand, "--calibration", "latest", "--data", db);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^from the calibration agent new in ${db.replace(/[.]/g, "\\.")} `, "m"));
    assert.match(r.out, /^per packet\s+12\.2 us$/m);
  });

  it("a bad file: exit 78 with the file and the reason", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["not-json.json", "{ nope", /not valid JSON/],
      ["shape.json", '{"calibration": {"constants": 3}}', /not a calibration: expected the output of 'eastwest calibrate --json'/],
      ["value.json", '{"constants": [{"name": "syscall_us", "value": "fast", "measured": true}]}', /constants\[0\] \(syscall_us\)\.value must be a finite number \(got "fast"\)/],
      ["empty.json", '{"constants": []}', /the calibration has no constants/],
    ];
    for (const [name, text, why] of cases) {
      const file = join(dir.path, name);
      writeFileSync(file, text);
      const r = await run(modelCommand, "--calibration", file);
      assert.equal(r.code, 78, `${name}: ${r.err}`);
      assert.ok(r.err.includes(`--calibration ${file}: `), r.err);
      assert.match(r.err, why);
      assert.equal(r.out, "");
    }
    const missing = await run(modelCommand, "--calibration", join(dir.path, "absent.json"));
    assert.equal(missing.code, 78);
    assert.match(missing.err, /absent\.json: ENOENT/);
  });

  it("latest with nothing saved, and --data without latest: exit 78 saying what to do", async () => {
    process.env["EASTWEST_CALIBRATION_DIR"] = join(dir.path, "empty");
    try {
      const r = await run(modelCommand, "--calibration", "latest");
      assert.equal(r.code, 78);
      assert.match(r.err, /--calibration latest: .*empty does not exist: run 'eastwest calibrate' first/);
    } finally {
      process.env["EASTWEST_CALIBRATION_DIR"] = join(dir.path, "cals");
    }
    const d = await run(modelCommand, "--data", join(dir.path, "store.db"));
    assert.equal(d.code, 78);
    assert.match(d.err, /--data: needs --calibration latest/);
  });
});
