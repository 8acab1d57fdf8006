import assert from "node:assert/strict";
import { ConfigError, ParseError } from "@eastwest/common";
import { parseProcStat } from "../../../agent/src/samplers/cpu/cpu.parse.ts";
import { cpuSampler } from "../../../agent/src/samplers/cpu/cpu.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, liveFs, mapFs, pointWith } from "./helpers.ts";

/** The numbers of the fixture line starting with `key` + space. */
function fixtureLine(file: string, key: string): bigint[] {
  const line = file.split("\n").find((l) => l.startsWith(`${key} `));
  assert.ok(line !== undefined, `fixture has a ${key} line`);
  return line.trim().split(/\s+/).slice(1).map(BigInt);
}

describe("cpu: parseProcStat", () => {
  const t0 = fixture("proc", "live-t0", "stat");

  it("parses every cpu line of the live capture", () => {
    const stat = parseProcStat(t0);
    assert.deepEqual(stat.cpus.map((c) => c.cpu), ["all", "cpu0", "cpu1"]);
    assert.deepEqual(stat.errors, []);
    assert.equal(stat.cpus[1]?.ticks.user, 2797n);
    assert.equal(stat.cpus[2]?.ticks.iowait, 587n);
    const cpu1 = fixtureLine(t0, "cpu1");
    assert.deepEqual(Object.values(stat.cpus[2]?.ticks ?? {}), cpu1);
    assert.equal(stat.kernel.ctxt, fixtureLine(t0, "ctxt")[0]);
    assert.equal(stat.kernel.intr, 936352n);
    assert.equal(stat.kernel.procs_running, 2n);
  });

  it("accepts an older kernel's 8 columns (no guest, guest_nice)", () => {
    const stat = parseProcStat(fixture("proc", "variants", "stat-2.6.18"));
    assert.equal(stat.cpus.length, 3);
    assert.equal(stat.cpus[0]?.ticks.steal, 0n);
    assert.equal(stat.cpus[0]?.ticks.idle, 842486413n);
    assert.equal(stat.cpus[0]?.ticks.guest, undefined);
    assert.equal(stat.kernel.processes, 2915n);
  });

  it("reports a truncated last cpu line and keeps the rest", () => {
    const stat = parseProcStat(fixture("proc", "variants", "stat-truncated"));
    assert.deepEqual(stat.cpus.map((c) => c.cpu), ["all", "cpu0"]);
    assert.equal(stat.errors.length, 1);
    assert.match(stat.errors[0] ?? "", /truncated cpu1 line/);
  });

  it("throws ParseError on garbage", () => {
    assert.throws(() => parseProcStat(fixture("proc", "variants", "stat-garbage")), ParseError);
    assert.throws(() => parseProcStat(""), ParseError);
  });

  it("reports a non-numeric value", () => {
    const stat = parseProcStat("cpu  1 2 3 4\ncpu0 1 x 3 4\n");
    assert.equal(stat.cpus.length, 1);
    assert.match(stat.errors[0] ?? "", /bad cpu0 value "x"/);
  });
});

describe("cpu: sampler", () => {
  it("emits totals on the first tick, then % of the interval", async () => {
    const s = cpuSampler();
    const first = await s.sample(ctx(liveFs(0), T0));
    const all0 = pointWith(first.points, "cpu", "cpu", "all");
    assert.equal(all0.fields["user_ns_total"], 7332n * 10_000_000n); // USER_HZ 100: 1 tick = 10 ms
    assert.equal(all0.timeNs, T0);
    assert.equal(all0.fields["user_pct"], undefined);
    assert.equal(pointWith(first.points, "kernel").fields["context_switches_per_s"], undefined);

    const second = await s.sample(ctx(liveFs(1), T0 + SECOND));
    const all1 = pointWith(second.points, "cpu", "cpu", "all");
    // deltas of the "cpu" line between the captures: user 6, system 150, idle 20, iowait 1, softirq 29 = 206 ticks
    assert.equal(all1.fields["user_pct"], (6 * 100) / 206);
    assert.equal(all1.fields["system_pct"], (150 * 100) / 206);
    assert.equal(all1.fields["busy_pct"], ((206 - 21) * 100) / 206);
    const sum = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"].reduce((a, k) => a + (all1.fields[`${k}_pct`] as number), 0);
    assert.ok(Math.abs(sum - 100) < 1e-9);
    const kernel = pointWith(second.points, "kernel");
    assert.equal(kernel.fields["context_switches_per_s"], 1636532 - 1549759);
    assert.equal(kernel.fields["forks_per_s"], 5196 - 5129);
    assert.equal(kernel.fields["procs_running"], 3n);
    assert.deepEqual(all1.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", cpu: "all" });
    assert.ok(allFinite(second.points));
  });

  it("skips % when the clock did not advance", async () => {
    const s = cpuSampler();
    await s.sample(ctx(liveFs(0), T0));
    const again = await s.sample(ctx(liveFs(1), T0));
    assert.equal(pointWith(again.points, "cpu", "cpu", "all").fields["user_pct"], undefined);
  });

  it("honours userHz and refuses a bad one", async () => {
    const s = cpuSampler();
    const r = await s.sample(ctx(liveFs(0), T0, { options: { userHz: 250 } }));
    assert.equal(pointWith(r.points, "cpu", "cpu", "cpu0").fields["user_ns_total"], 2797n * 4_000_000n);
    await assert.rejects(cpuSampler().init?.(ctx(liveFs(0), T0, { options: { userHz: 0, bogus: 1 } })) ?? Promise.reject(), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      return true;
    });
  });

  it("init reports unavailable when /proc/stat is missing", async () => {
    const a = await cpuSampler().init?.(ctx(mapFs({}), T0));
    assert.equal(a?.available, false);
    assert.match(a?.available === false ? a.reason : "", /^unavailable: \/proc\/stat not readable/);
  });
});
