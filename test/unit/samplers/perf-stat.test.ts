// perf stat -x, CSV: the parser on captured and hand-written output (test/fixtures/perf-stat/META), interval
// assembly, sums, failure reasons, and the streaming child wrapper with a fake spawn.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ParseError } from "@eastwest/common";
import { PerfIntervalAssembler, parsePerfStat, parsePerfStatLine, sumIntervals, type PerfInterval } from "../../../agent/src/samplers/shared/perf/perf-stat.parse.ts";
import { perfFailureReason } from "../../../agent/src/host/perf.failure.ts";
import { LineSplitter } from "../../../agent/src/runtime/spawn.ts";
import { PerfStatStream, PerfStreams, perfStatArgs } from "../../../agent/src/samplers/shared/perf/perf-stat.stream.ts";
import { fixture } from "./helpers.ts";
import { fakeSpawn } from "../../integration/perf/fakes.ts";

const perf = (name: string): string => fixture("perf-stat", name);

function intervals(text: string, expected: number): PerfInterval[] {
  const a = new PerfIntervalAssembler(expected);
  const out: PerfInterval[] = [];
  for (const r of parsePerfStat(text, { interval: true }).records) {
    const done = a.push(r);
    if (done !== undefined) out.push(done);
  }
  return out;
}

describe("perf stat CSV: parsePerfStat", () => {
  it("captured here: -I 200 cycles,instructions -a is <not supported> on every line", () => {
    const { records, errors } = parsePerfStat(perf("pmu-I200-cycles-instructions.perf-6.1.txt"), { interval: true });
    assert.deepEqual(errors, []);
    assert.equal(records.length, 6);
    assert.deepEqual(records[0], {
      line: 1, timeS: 0.203694488, timeNs: 203_694_488n, value: null, amount: null, unit: "", event: "cycles",
      runTimeNs: 0n, pctRunning: 100, metricValue: null, metricUnit: "", status: "not_supported",
    });
    assert.ok(records.every((r) => r.status === "not_supported"));
    assert.deepEqual(records.map((r) => r.event), ["cycles", "instructions", "cycles", "instructions", "cycles", "instructions"]);
  });

  it("captured here: kvm:kvm_exit without -I counts 0 with a run time", () => {
    const { records } = parsePerfStat(perf("kvm-exit.perf-6.1.txt"), { interval: false });
    assert.equal(records.length, 1);
    const r = records[0];
    assert.equal(r?.timeS, undefined);
    assert.equal(r?.status, "counted");
    assert.equal(r?.value, 0n);
    assert.equal(r?.event, "kvm:kvm_exit");
    assert.equal(r?.runTimeNs, 410_138_164n);
  });

  it("captured here: a fractional value (task-clock msec) and metric columns", () => {
    const { records } = parsePerfStat(perf("task-clock-kvm-exit-I200.perf-6.1.txt"), { interval: true });
    const clock = records[0];
    assert.equal(clock?.value, null, "a fraction is not an exact count");
    assert.equal(clock?.amount, 400.66);
    assert.equal(clock?.unit, "msec");
    assert.equal(clock?.metricValue, 2.003);
    assert.equal(clock?.metricUnit, "CPUs utilized");
    assert.equal(records[1]?.metricUnit, "/sec");
  });

  it("captured here: <not counted>", () => {
    const { records } = parsePerfStat(perf("not-counted-I200.perf-6.1.txt"), { interval: true });
    assert.ok(records.length === 6 && records.every((r) => r.status === "not_counted" && r.amount === null));
  });

  it("hand-written PMU machine: counts, multiplexing, metric-only and comment lines", () => {
    const { records, errors } = parsePerfStat(perf("pmu-I1000-multiplexed.handwritten.txt"), { interval: true });
    assert.deepEqual(errors, []);
    assert.equal(records.length, 18, "the # header, blank and metric-only lines are no records");
    const refs = records.find((r) => r.event === "cache-references");
    assert.equal(refs?.pctRunning, 66.67);
    assert.equal(refs?.value, 41_234_560n);
    assert.equal(records.find((r) => r.event === "instructions")?.metricUnit, "insn per cycle");
    assert.equal(records.filter((r) => r.status === "not_counted").length, 1);
    const plain = parsePerfStat(perf("pmu-nointerval.handwritten.txt"), { interval: false }).records;
    assert.deepEqual(plain.map((r) => r.value), [3_427_015_420n, 2_912_963_107n]);
  });

  it("reports -A and --per-socket lines as errors, never misreads them", () => {
    for (const name of ["per-cpu-A.handwritten.txt", "per-socket.handwritten.txt"]) {
      assert.throws(() => parsePerfStat(perf(name), { interval: true }), (err: unknown) => {
        assert.ok(err instanceof ParseError);
        assert.match(err.message, /line 1: per-cpu or aggregated output/);
        return true;
      });
    }
    const mixed = parsePerfStat(`${perf("kvm-exit-I200.perf-6.1.txt")}${perf("per-cpu-A.handwritten.txt")}`, { interval: true });
    assert.equal(mixed.records.length, 3);
    assert.equal(mixed.errors.length, 2);
    assert.match(mixed.errors[0] ?? "", /line 4: per-cpu/);
  });

  it("garbage is a ParseError naming the line; a bad line among good ones is an error", () => {
    assert.throws(() => parsePerfStat(perf("garbage.txt"), { interval: true }), /line 1: expected an interval time stamp/);
    assert.throws(() => parsePerfStatLine("1.5,12,,cycles,100,100.00,,", 7, false), /line 7: bad counter value|line 7: no event/);
    assert.throws(() => parsePerfStatLine("     1.001,12,,cycles,100,250.00,,", 3, true), /line 3: bad running percentage/);
    assert.throws(() => parsePerfStatLine("     1.001,12,,cycles", 3, true), /line 3: expected at least 5 fields/);
    assert.equal(parsePerfStatLine("# started on Tue", 1, true), undefined);
  });

  it("never throws anything but ParseError, never yields NaN", () => {
    const sample = perf("pmu-I1000-multiplexed.handwritten.txt");
    const mangled = fc.tuple(fc.nat({ max: sample.length }), fc.string({ maxLength: 30 })).map(([at, junk]) => sample.slice(0, at) + junk + sample.slice(at));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mangled), fc.boolean(), (text, interval) => {
        try {
          const { records } = parsePerfStat(text, { interval });
          for (const r of records) for (const v of [r.timeS, r.amount, r.pctRunning, r.metricValue]) assert.ok(v == null || Number.isFinite(v));
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("perf stat CSV: intervals and sums", () => {
  it("groups records by time stamp; durations from consecutive time stamps", () => {
    const got = intervals(perf("kvm-exit-I200.perf-6.1.txt"), 1);
    assert.deepEqual(got.map((i) => i.durationNs), [200_232_488n, 203_152_530n, 104_659_604n]);
  });

  it("an interval missing an event completes when the next time stamp arrives", () => {
    const text = perf("pmu-I1000-multiplexed.handwritten.txt").split("\n").filter((l) => !l.includes("1.001072166,5123456,,branch-misses")).join("\n");
    const got = intervals(text, 6);
    assert.equal(got.length, 3);
    assert.equal(got[0]?.records.size, 5);
  });

  it("hybrid PMUs: lines of one event add up", () => {
    const got = intervals(perf("pmu-hybrid-I1000.handwritten.txt"), 4);
    const s = sumIntervals(got, (e) => e.split("/")[1], (r) => r.value);
    assert.equal(s.sums.get("cycles")?.total, 2_100_000_000n + 900_000_000n + 2_000_000_000n + 1_000_000_000n);
    assert.equal(s.durationNs, 2_002_101_112n);
  });

  it("an event not counted in one interval is left out, with its status", () => {
    const got = intervals(perf("pmu-I1000-multiplexed.handwritten.txt"), 6);
    const s = sumIntervals(got, (e) => e, (r) => r.value);
    assert.equal(s.sums.has("cache-references"), false);
    assert.equal(s.missing.get("cache-references"), "not_counted");
    assert.equal(s.sums.get("cache-misses")?.minPctRunning, 66.67);
    assert.equal(s.sums.get("cycles")?.total, 3_427_015_420n + 3_500_000_000n + 3_400_000_000n);
  });
});

describe("perf stat: failure reasons from captured stderr", () => {
  it("names the cause an operator can act on", () => {
    assert.match(perfFailureReason(perf("err-paranoid.perf-6.1.txt")) ?? "", /^perf_event_paranoid is 2: .*CAP_PERFMON/);
    assert.equal(perfFailureReason(perf("err-unknown-tracepoint.perf-6.1.txt")), "tracepoint kvm:no_such_tracepoint not found (kvm module not loaded?)");
    assert.match(perfFailureReason(perf("err-tracefs-permission.perf-6.1.txt")) ?? "", /no permission to read tracefs/);
    assert.equal(perfFailureReason(perf("err-no-uncore-imc.perf-6.1.txt")), "no uncore_imc PMU (perf: Cannot find PMU)");
    assert.equal(perfFailureReason(perf("kvm-exit.perf-6.1.txt")), undefined);
  });
});

describe("perf stat: streaming child", () => {
  it("LineSplitter joins chunks, cuts long lines, flushes the tail", () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 8);
    s.push("ab");
    s.push("c\r\nde");
    s.push("f\n0123456789ABC\ntail");
    s.flush();
    assert.deepEqual(got, ["abc", "def", "01234567", "tail"]);
  });

  it("perfStatArgs: argument array, perf ends with its stdin (cat)", () => {
    assert.deepEqual(perfStatArgs(["cycles", "instructions"], 500, { kind: "system" }), ["stat", "-x,", "-I", "500", "-e", "cycles,instructions", "-a", "--", "cat"]);
    assert.deepEqual(perfStatArgs(["cycles"], 1000, { kind: "pid", pid: 42 }).slice(6), ["-p", "42", "--", "cat"]);
  });

  it("parses stderr as it streams; drain returns each interval once; exits are reported once", async () => {
    const { spawn, children } = fakeSpawn();
    const s = new PerfStatStream(spawn, perfStatArgs(["kvm:kvm_exit"], 200, { kind: "system" }), 1);
    const child = children[0];
    assert.equal(child?.options.stdinPipe, true);
    const lines = perf("kvm-exit-I200.perf-6.1.txt").split("\n");
    child?.emit(lines.slice(0, 2).join("\n"));
    assert.equal(s.drain().length, 2);
    assert.equal(s.drain().length, 0);
    child?.emit("Error:\nsomething perf said");
    child?.die(1);
    await Promise.resolve();
    const problems = s.problems();
    assert.equal(problems.length, 3);
    assert.match(problems[2] ?? "", /^perf stat exited \(code 1\): something perf said/);
    assert.deepEqual(s.problems(), []);
    await s.close();
    await s.close();
  });

  it("PerfStreams restarts an exited child and stops unwanted ones", async () => {
    const { spawn, children } = fakeSpawn();
    const streams = new PerfStreams(spawn);
    const spec = (ms: number) => ({ args: perfStatArgs(["kvm:kvm_exit"], ms, { kind: "system" }), expectedRecords: 1, tags: {} });
    await streams.reconcile(new Map([["host", spec(200)]]));
    children[0]?.die(255);
    const problems = await streams.reconcile(new Map([["host", spec(200)]]));
    assert.match(problems[0] ?? "", /^host: perf stat exited \(code 255\)/);
    assert.equal(children.length, 2);
    await streams.reconcile(new Map([["host", spec(500)]]));
    assert.equal(children.length, 3, "new arguments restart the child");
    assert.equal(children[1]?.closed, true);
    await streams.reconcile(new Map());
    assert.equal(children[2]?.closed, true);
    assert.equal(streams.size, 0);
    await streams.closeAll();
  });
});
