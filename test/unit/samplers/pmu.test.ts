// pmu: event keys, fields from intervals, options, QEMU discovery, and the sampler with a fake exec (probe)
// and a fake spawn (the long-lived perf stat children). Fixtures: test/fixtures/perf-stat/META.
import assert from "node:assert/strict";
import { ConfigError } from "@eastwest/common";
import { PerfIntervalAssembler, parsePerfStat, type PerfInterval } from "../../../agent/src/samplers/shared/perf/perf-stat.parse.ts";
import { pmuEventKey, pmuFields } from "../../../agent/src/samplers/pmu/pmu.parse.ts";
import { isQemuComm, parsePmuOptions, qemuName, vmTargets } from "../../../agent/src/samplers/pmu/pmu.targets.ts";
import { pmuSampler } from "../../../agent/src/samplers/pmu/pmu.sampler.ts";
import type { HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { SECOND, T0, allFinite, ctx, fixture, mapFs, pointWith } from "./helpers.ts";
import { failed, fakeExec, fakeSpawn, notFound } from "../../integration/perf/fakes.ts";

const perf = (name: string): string => fixture("perf-stat", name);

function intervals(text: string, expected: number): PerfInterval[] {
  const a = new PerfIntervalAssembler(expected);
  return parsePerfStat(text, { interval: true }).records.flatMap((r) => a.push(r) ?? []);
}

/** A /proc with processes: pid -> [comm, argv]. */
function procs(table: Readonly<Record<number, readonly [string, string[]]>>): HostFs {
  const files: Record<string, string> = {};
  for (const [pid, [comm, argv]] of Object.entries(table)) {
    files[`${pid}/comm`] = `${comm}\n`;
    files[`${pid}/cmdline`] = `${argv.join("\0")}\0`;
  }
  return { ...mapFs(files), procDir: async () => [...Object.keys(table), "self", "net"] };
}

describe("pmu: fields", () => {
  it("event keys: modifiers and hybrid PMU prefixes", () => {
    assert.equal(pmuEventKey("cycles"), "cycles");
    assert.equal(pmuEventKey("cycles:u"), "cycles");
    assert.equal(pmuEventKey("cpu_core/branch-misses/"), "branch-misses");
    assert.equal(pmuEventKey("cpu_atom/cycles/u"), "cycles");
    assert.equal(pmuEventKey("task-clock"), undefined);
  });

  it("hand-written PMU machine: counts summed over intervals, IPC and miss ratios, lowest running_pct", () => {
    const got = intervals(perf("pmu-I1000-multiplexed.handwritten.txt"), 6).slice(0, 2);
    const { fields, missing } = pmuFields(got);
    assert.equal(missing.size, 0);
    assert.equal(fields["cycles_count"], 3_427_015_420n + 3_500_000_000n);
    assert.equal(fields["instructions_count"], 2_912_963_107n + 3_150_000_000n);
    assert.equal(fields["cache_misses_count"], 8_246_912n + 10_000_000n);
    assert.equal(fields["interval_ns"], 2_002_311_904n);
    assert.equal(fields["running_pct"], 66.67);
    assert.equal(fields["ipc"], Number(2_912_963_107n + 3_150_000_000n) / Number(3_427_015_420n + 3_500_000_000n));
    assert.equal(fields["cache_miss_pct"], (100 * (8_246_912 + 10_000_000)) / (41_234_560 + 40_000_000));
    assert.equal(fields["branch_miss_pct"], (100 * (5_123_456 + 3_000_000)) / (512_345_678 + 600_000_000));
  });

  it("an event not counted in an interval is left out, and its ratio with it", () => {
    const { fields, missing } = pmuFields(intervals(perf("pmu-I1000-multiplexed.handwritten.txt"), 6).slice(2));
    assert.equal(missing.get("cache-references"), "not_counted");
    assert.equal(fields["cache_references_count"], undefined);
    assert.equal(fields["cache_miss_pct"], undefined);
    assert.equal(fields["cycles_count"], 3_400_000_000n);
  });

  it("captured here: <not supported> everywhere gives no fields", () => {
    const { fields, missing } = pmuFields(intervals(perf("pmu-I200-six-events.perf-6.1.txt"), 6));
    assert.deepEqual(fields, {});
    assert.equal(missing.get("cycles"), "not_supported");
    assert.equal(missing.size, 6);
  });

  it("hybrid: cpu_core and cpu_atom lines add up", () => {
    const { fields } = pmuFields(intervals(perf("pmu-hybrid-I1000.handwritten.txt"), 4));
    assert.equal(fields["cycles_count"], 6_000_000_000n);
    assert.equal(fields["ipc"], 7_100_000_000 / 6_000_000_000);
  });
});

describe("pmu: options and targets", () => {
  it("defaults, bounds, every problem at once", () => {
    assert.deepEqual(parsePmuOptions({}).value, { pids: [], vmPids: false, maxVms: 8, perfIntervalMs: 1000 });
    const bad = parsePmuOptions({ pids: [1, 2, 3, 4, 5, 6, 7, 8, 9], vmPids: "yes", maxVms: 9, perfIntervalMs: 5, other: 1 });
    assert.equal(bad.problems.length, 5);
  });

  it("QEMU names from -name, comm matching", () => {
    assert.equal(qemuName(["qemu-system-x86_64", "-name", "guest=vm1,debug-threads=on", "-m", "1G"]), "vm1");
    assert.equal(qemuName(["qemu-kvm", "-name", "web,process=qemu:web"]), "web");
    assert.equal(qemuName(["qemu-system-x86_64", "-m", "1G"]), undefined);
    assert.ok(isQemuComm("qemu-system-x86\n") && isQemuComm("qemu-kvm") && !isQemuComm("qemu-img") && !isQemuComm("bash"));
  });

  it("vmTargets: configured pids first, QEMU processes in pid order, bounded by maxVms", async () => {
    const fs = procs({
      300: ["qemu-system-x86", ["qemu-system-x86_64", "-name", "guest=b"]],
      200: ["qemu-system-x86", ["qemu-system-x86_64", "-name", "guest=a"]],
      100: ["bash", ["bash"]],
      400: ["qemu-kvm", ["qemu-kvm"]],
    });
    const all = await vmTargets(fs, { pids: [100], vmPids: true, maxVms: 8, perfIntervalMs: 1000 });
    assert.deepEqual(all.vms, [{ pid: 100, vm: "pid-100" }, { pid: 200, vm: "a" }, { pid: 300, vm: "b" }, { pid: 400, vm: "pid-400" }]);
    const bounded = await vmTargets(fs, { pids: [999], vmPids: true, maxVms: 2, perfIntervalMs: 1000 });
    assert.deepEqual(bounded.vms.map((v) => v.pid), [200, 300], "a pid that is gone takes no slot");
    assert.equal(bounded.dropped, 1);
    assert.deepEqual(bounded.problems, ["pid 999: no such process"]);
  });
});

describe("pmu: sampler", () => {
  const PROBE = "perf stat -x, -a -e cycles -- true";

  it("captured here: no hardware PMU is unavailable, once, and nothing is spawned", async () => {
    const { spawn, children } = fakeSpawn();
    const { exec } = fakeExec([[PROBE, { stderr: perf("probe-cycles.perf-6.1.txt") }]]);
    const s = pmuSampler({ spawn });
    const a = await s.init?.(ctx(mapFs({}), T0, { exec }));
    assert.deepEqual(a, { available: false, reason: "unavailable: no hardware PMU (perf stat: cycles <not supported>)" });
    assert.deepEqual(await s.sample(ctx(mapFs({}), T0, { exec })), { points: [] });
    assert.equal(children.length, 0);
  });

  it("perf missing, perf_event_paranoid: the reason says what to do", async () => {
    const missing = await pmuSampler().init?.(ctx(mapFs({}), T0, { exec: fakeExec([[PROBE, notFound("perf")]]).exec }));
    assert.deepEqual(missing, { available: false, reason: "unavailable: perf not found (install linux-perf)" });
    const denied = fakeExec([[PROBE, failed("perf", 255, perf("err-paranoid.perf-6.1.txt"))]]);
    const a = await pmuSampler().init?.(ctx(mapFs({}), T0, { exec: denied.exec }));
    assert.equal(a?.available, false);
    assert.match(a?.available === false ? a.reason : "", /^unavailable: perf_event_paranoid is 2: system-wide counting needs CAP_PERFMON/);
  });

  it("a PMU host: one system-wide child, points per tick from completed intervals, close kills it", async () => {
    const { spawn, children } = fakeSpawn();
    const { exec } = fakeExec([[PROBE, { stderr: perf("pmu-nointerval.handwritten.txt") }]]);
    const s = pmuSampler({ spawn });
    assert.deepEqual(await s.init?.(ctx(mapFs({}), T0, { exec })), { available: true });
    assert.deepEqual((await s.sample(ctx(mapFs({}), T0, { exec }))).points, []);
    const child = children[0];
    assert.deepEqual(child?.args, ["stat", "-x,", "-I", "1000", "-e", "cycles,instructions,cache-references,cache-misses,branches,branch-misses", "-a", "--", "cat"]);
    const lines = perf("pmu-I1000-multiplexed.handwritten.txt").split("\n");
    child?.emit(lines.slice(0, 16).join("\n"));
    const r = await s.sample(ctx(mapFs({}), T0 + SECOND, { exec }));
    const p = pointWith(r.points, "pmu", "scope", "host");
    assert.equal(p.tags["vm"], "");
    assert.equal(p.fields["cycles_count"], 3_427_015_420n + 3_500_000_000n);
    assert.ok(allFinite(r.points));
    assert.deepEqual(r.errors, []);
    child?.emit(lines.slice(16).join("\n"));
    const third = await s.sample(ctx(mapFs({}), T0 + 2n * SECOND, { exec }));
    assert.deepEqual(third.errors, ["pmu: host: cache-references <not counted>"]);
    await s.close?.();
    await s.close?.();
    assert.equal(child?.closed, true);
    assert.deepEqual((await s.sample(ctx(mapFs({}), T0, { exec }))).points, []);
  });

  it("vmPids: one child per QEMU process with -p, tagged with the guest name", async () => {
    const { spawn, children } = fakeSpawn();
    const { exec } = fakeExec([[PROBE, { stderr: perf("pmu-nointerval.handwritten.txt") }]]);
    const fs = procs({ 4242: ["qemu-system-x86", ["qemu-system-x86_64", "-name", "guest=vm1"]] });
    const s = pmuSampler({ spawn });
    const options = { vmPids: true };
    await s.init?.(ctx(fs, T0, { exec, options }));
    await s.sample(ctx(fs, T0, { exec, options }));
    assert.equal(children.length, 2);
    assert.deepEqual(children[1]?.args.slice(6), ["-p", "4242", "--", "cat"]);
    children[1]?.emit(perf("pmu-I1000-multiplexed.handwritten.txt").split("\n").slice(0, 9).join("\n"));
    const r = await s.sample(ctx(fs, T0 + SECOND, { exec, options }));
    assert.equal(pointWith(r.points, "pmu", "scope", "vm").tags["vm"], "vm1");
    await s.close?.();
    assert.ok(children.every((c) => c.closed));
  });

  it("bad options fail init and ticks", async () => {
    await assert.rejects(pmuSampler().init?.(ctx(mapFs({}), T0, { options: { pids: "1" } })) ?? Promise.resolve(), ConfigError);
  });
});
