// membw: IMC unit math and fields, resctrl MBM files and group discovery on hand-written sys trees
// (test/fixtures/resctrl/META), and the sampler (fake exec for the perf probe, fake spawn for perf stat -I).
import assert from "node:assert/strict";
import { join } from "node:path";
import { ParseError } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { CAS_BYTES, imcBytesPerValue, imcFields, parseMbmValue, parseScale, unitBytes } from "../../../agent/src/samplers/membw/membw.parse.ts";
import { mbmGroups, readMbmGroup, resctrlProblem } from "../../../agent/src/samplers/membw/membw.resctrl.ts";
import { membwSampler } from "../../../agent/src/samplers/membw/membw.sampler.ts";
import { PerfIntervalAssembler, parsePerfStat, type PerfInterval } from "../../../agent/src/samplers/shared/perf/perf-stat.parse.ts";
import { FIXTURES, SECOND, T0, allFinite, ctx, fixture, liveFs, pointWith } from "./helpers.ts";
import { failed, fakeExec, fakeSpawn } from "../../integration/perf/fakes.ts";

const MiB = 1024 * 1024;
const PROBE = "perf stat -x, -a -e uncore_imc/cas_count_read/,uncore_imc/cas_count_write/ -- true";
const IMC_PROBE_OK = "0.00,MiB,uncore_imc/cas_count_read/,1001234,100.00,,\n0.00,MiB,uncore_imc/cas_count_write/,1001234,100.00,,\n";

function tree(name: string): HostFs {
  return hostFs(join(FIXTURES, "resctrl", name, "proc"), join(FIXTURES, "resctrl", name, "sys"));
}

function intervals(name: string): PerfInterval[] {
  const a = new PerfIntervalAssembler(2);
  return parsePerfStat(fixture("perf-stat", name), { interval: true }).records.flatMap((r) => a.push(r) ?? []);
}

describe("membw: uncore IMC values", () => {
  it("units and the sysfs scale", () => {
    assert.equal(unitBytes("MiB"), MiB);
    assert.equal(unitBytes("Joules"), undefined);
    assert.equal(parseScale("6.103515625e-5\n"), 64 / MiB);
    assert.equal(parseScale("abc"), undefined);
    assert.equal(imcBytesPerValue("MiB", {}), MiB, "perf applied the scale: value x unit");
    assert.equal(imcBytesPerValue("", { sysScale: 6.103515625e-5, sysUnit: "MiB" }), 64);
    assert.equal(imcBytesPerValue("", {}), CAS_BYTES, "no scale: one 64-byte line per count");
    assert.equal(imcBytesPerValue("Joules", {}), undefined);
  });

  it("hand-written server: MiB summed over intervals into bytes and rates", () => {
    const got = intervals("imc-I1000.handwritten.txt");
    const { fields, missing } = imcFields(got.slice(0, 2), {});
    assert.deepEqual(missing, []);
    const read = BigInt(Math.round(2841.04 * MiB)) + BigInt(3000 * MiB);
    const write = BigInt(Math.round(1420.52 * MiB)) + BigInt(1000 * MiB);
    assert.equal(fields["read_bytes"], read);
    assert.equal(fields["write_bytes"], write);
    assert.equal(fields["interval_ns"], 2_002_025_871n);
    assert.equal(fields["read_bytes_per_s"], Number(read) / 2.002025871);
    assert.equal(fields["total_bytes_per_s"], Number(read + write) / 2.002025871);
    assert.equal(imcFields(got.slice(2), {}).fields["write_bytes"], 0n);
  });

  it("hand-written older kernel: raw CAS counts are 64-byte lines", () => {
    const { fields } = imcFields(intervals("imc-raw-I1000.handwritten.txt"), {});
    assert.equal(fields["read_bytes"], 44_390_811n * 64n);
  });
});

describe("membw: resctrl", () => {
  it("MBM file values", () => {
    assert.equal(parseMbmValue("1073741824\n", "f"), 1_073_741_824n);
    assert.equal(parseMbmValue("Unavailable\n", "f"), "Unavailable");
    assert.equal(parseMbmValue("Error", "f"), "Error");
    assert.throws(() => parseMbmValue("-1", "f"), ParseError);
  });

  it("finds the root, control and monitor groups, bounded", async () => {
    assert.deepEqual(await mbmGroups(tree("mbm-t0"), 32), { groups: ["", "mon_groups/web", "vm1", "vm1/mon_groups/vcpu0"], dropped: 0 });
    assert.deepEqual(await mbmGroups(tree("mbm-t0"), 2), { groups: ["", "mon_groups/web"], dropped: 2 });
  });

  it("sums a group's L3 domains; a domain reading Unavailable leaves that counter out", async () => {
    const root = await readMbmGroup(tree("mbm-t0"), "");
    assert.deepEqual(root.values, { total_bytes: 1_610_612_736_000n, local_bytes: 1_207_959_552_000n, llc_occupancy_bytes: 18_874_368n });
    const web = await readMbmGroup(tree("mbm-t1"), "mon_groups/web");
    assert.equal(web.values.local_bytes, undefined);
    assert.equal(web.values.total_bytes, 10_590_617_600n);
    assert.match(web.problems[0] ?? "", /mon_groups\/web\/mon_data\/mon_L3_00\/mbm_local_bytes: Unavailable$/);
  });

  it("why resctrl is not usable: no kernel support, not mounted, no monitoring", async () => {
    assert.equal(await resctrlProblem(tree("mbm-t0")), undefined);
    assert.match((await resctrlProblem(tree("imc-only"))) ?? "", /no resctrl filesystem/);
    assert.match((await resctrlProblem(tree("not-mounted"))) ?? "", /not mounted: mount -t resctrl resctrl \/sys\/fs\/resctrl$/);
    assert.match((await resctrlProblem(tree("alloc-only"))) ?? "", /without L3 monitoring/);
  });
});

describe("membw: sampler", () => {
  it("no uncore_imc and no resctrl: unavailable, with why", async () => {
    const a = await membwSampler().init?.(ctx(tree("not-mounted"), T0));
    assert.deepEqual(a, { available: false, reason: "unavailable: no uncore_imc PMU and no resctrl (resctrl is not mounted: mount -t resctrl resctrl /sys/fs/resctrl)" });
    const live = await membwSampler().init?.(ctx(liveFs(0), T0));
    assert.match(live?.available === false ? live.reason : "", /^unavailable: no uncore_imc PMU and no resctrl \(/);
  });

  it("resctrl: totals per group, rates from the second tick, an Unavailable domain reported", async () => {
    const s = membwSampler();
    assert.deepEqual(await s.init?.(ctx(tree("mbm-t0"), T0)), { available: true });
    const first = await s.sample(ctx(tree("mbm-t0"), T0));
    assert.equal(first.points.length, 4);
    assert.equal(pointWith(first.points, "membw", "group", "").fields["total_bytes_per_s"], undefined);
    const second = await s.sample(ctx(tree("mbm-t1"), T0 + SECOND));
    const root = pointWith(second.points, "membw", "group", "");
    assert.equal(root.tags["source"], "resctrl");
    assert.equal(root.fields["total_bytes_per_s"], 3 * 1024 * MiB);
    assert.equal(root.fields["local_bytes_per_s"], 1.5 * 1024 * MiB);
    assert.equal(pointWith(second.points, "membw", "group", "vm1/mon_groups/vcpu0").fields["total_bytes_per_s"], 500 * MiB);
    const web = pointWith(second.points, "membw", "group", "mon_groups/web");
    assert.equal(web.fields["total_bytes_per_s"], 100 * MiB);
    assert.equal(web.fields["local_bytes_total"], undefined);
    assert.equal(second.errors?.length, 1);
    assert.ok(allFinite(second.points));
    await s.close?.();
  });

  it("uncore IMC: scale from sysfs, one system-wide perf child, points per tick", async () => {
    const { spawn, children } = fakeSpawn();
    const { exec } = fakeExec([[PROBE, { stderr: IMC_PROBE_OK }]]);
    const s = membwSampler({ spawn });
    assert.deepEqual(await s.init?.(ctx(tree("imc-only"), T0, { exec })), { available: true });
    assert.deepEqual((await s.sample(ctx(tree("imc-only"), T0, { exec }))).points, []);
    assert.deepEqual(children[0]?.args, ["stat", "-x,", "-I", "1000", "-e", "uncore_imc/cas_count_read/,uncore_imc/cas_count_write/", "-a", "--", "cat"]);
    children[0]?.emit(fixture("perf-stat", "imc-I1000.handwritten.txt"));
    const r = await s.sample(ctx(tree("imc-only"), T0 + SECOND, { exec }));
    const p = pointWith(r.points, "membw", "source", "imc");
    assert.equal(p.tags["group"], "");
    assert.equal(p.fields["write_bytes"], BigInt(Math.round(1420.52 * MiB)) + BigInt(1000 * MiB) + 0n);
    await s.close?.();
    assert.equal(children[0]?.closed, true);
  });

  it("an uncore_imc PMU perf may not use, and no resctrl: the reason names both", async () => {
    const { exec } = fakeExec([[PROBE, failed("perf", 255, fixture("perf-stat", "err-paranoid.perf-6.1.txt"))]]);
    const a = await membwSampler().init?.(ctx(tree("imc-only"), T0, { exec }));
    assert.match(a?.available === false ? a.reason : "", /^unavailable: uncore_imc: perf_event_paranoid is 2: .* and no resctrl \(this kernel has no resctrl/);
  });
});
