// kvmexits: exit-reason tables, the perf kvm stat report parser, collectExitReasons with a fake exec, and the
// continuous sampler with a fake spawn. Fixtures: test/fixtures/perf-stat/META.
import assert from "node:assert/strict";
import fc from "fast-check";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParseError } from "@eastwest/common";
import { exitReasonCode, exitReasonName } from "../../../agent/src/host/kvmstat.reasons.ts";
import { parseKvmStatReport } from "../../../agent/src/host/kvmstat.report.ts";
import { collectExitReasons, kvmStatArgs } from "../../../agent/src/host/kvmstat.collect.ts";
import { kvmExitFields, kvmexitsSampler } from "../../../agent/src/samplers/kvmexits/kvmexits.sampler.ts";
import { PerfIntervalAssembler, parsePerfStat } from "../../../agent/src/samplers/shared/perf/perf-stat.parse.ts";
import { SECOND, T0, ctx, fixture, mapFs, pointWith } from "./helpers.ts";
import { failed, fakeExec, fakeSpawn, notFound } from "../../integration/perf/fakes.ts";

const perf = (name: string): string => fixture("perf-stat", name);
const PROBE = "perf stat -x, -a -e kvm:kvm_exit -- sleep 0.1";

describe("kvmexits: exit reason tables", () => {
  it("VMX basic exit reasons (Intel SDM Appendix C)", () => {
    const known: Array<[number, string]> = [
      [0, "EXCEPTION_NMI"], [1, "EXTERNAL_INTERRUPT"], [10, "CPUID"], [12, "HLT"], [30, "IO_INSTRUCTION"], [31, "MSR_READ"],
      [32, "MSR_WRITE"], [48, "EPT_VIOLATION"], [49, "EPT_MISCONFIG"], [55, "XSETBV"], [74, "BUS_LOCK"], [75, "NOTIFY"],
    ];
    for (const [code, name] of known) assert.equal(exitReasonName("vmx", code), name, `vmx ${code}`);
    assert.equal(exitReasonName("vmx", 0x80000000 | 33), "INVALID_STATE", "bit 31 (failed VM entry) is not part of the basic reason");
    assert.equal(exitReasonName("vmx", 35), undefined);
  });

  it("SVM exit codes (AMD APM Appendix C)", () => {
    const known: Array<[number, string]> = [
      [0x60, "INTR"], [0x72, "CPUID"], [0x78, "HLT"], [0x7b, "IOIO"], [0x7c, "MSR"], [0x81, "VMMCALL"], [0x400, "NPF"],
      [0x012, "WRITE_CR2"], [0x04e, "EXCP_PF"], [0x403, "VMGEXIT"], [0xffffffff, "ERR"],
    ];
    for (const [code, name] of known) assert.equal(exitReasonName("svm", code), name, `svm 0x${code.toString(16)}`);
    assert.equal(exitReasonName("svm", 0x500), undefined);
  });

  it("labels as perf prints them map back to codes", () => {
    assert.deepEqual(exitReasonCode("EPT_VIOLATION"), { vendor: "vmx", code: 48 });
    assert.deepEqual(exitReasonCode("PENDING_INTERRUPT"), { vendor: "vmx", code: 7 });
    assert.deepEqual(exitReasonCode("npf"), { vendor: "svm", code: 0x400 });
    assert.deepEqual(exitReasonCode("io"), { vendor: "svm", code: 0x7b });
    assert.deepEqual(exitReasonCode("hypercall"), { vendor: "svm", code: 0x81 });
    assert.deepEqual(exitReasonCode("PF excp"), { vendor: "svm", code: 0x4e });
    assert.equal(exitReasonCode("UNKNOWN"), undefined);
  });
});

describe("kvmexits: perf kvm stat report", () => {
  it("hand-written Intel report: rows, min/max/avg, totals", () => {
    const r = parseKvmStatReport(perf("kvm-stat-report-vmexit.handwritten.txt"));
    assert.equal(r.event, "VM-EXIT");
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.rows.map((x) => x.reason), ["EPT_MISCONFIG", "EXTERNAL_INTERRUPT", "MSR_WRITE", "HLT", "IO_INSTRUCTION", "EPT_VIOLATION"]);
    assert.deepEqual(r.rows[3], {
      reason: "HLT", samples: 41_200n, samplesPct: 10.53, timePct: 70.62, minTimeUs: 0.58, maxTimeUs: 15421.22, avgTimeUs: 36.14, avgStddevPct: 3.25,
    });
    assert.equal(r.totalSamples, 391_091n);
    assert.equal(r.totalTimeUs, 2_108_298.4);
  });

  it("hand-written AMD report: lower-case labels, a label with a space, lost events", () => {
    const r = parseKvmStatReport(perf("kvm-stat-report-vmexit-svm.handwritten.txt"));
    assert.deepEqual(r.errors, []);
    assert.equal(r.rows.at(-1)?.reason, "PF excp");
    assert.equal(r.rows[0]?.reason, "npf");
    assert.equal(r.lostEvents, 12n);
  });

  it("hand-written perf < 3.19 report without Min/Max Time", () => {
    const r = parseKvmStatReport(perf("kvm-stat-report-vmexit-old.handwritten.txt"));
    assert.deepEqual(r.errors, []);
    assert.equal(r.rows[1]?.reason, "PENDING_INTERRUPT");
    assert.equal(r.rows[1]?.minTimeUs, null);
    assert.equal(r.rows[1]?.avgTimeUs, 5);
  });

  it("captured here: the empty report (no guest exits)", () => {
    const r = parseKvmStatReport(perf("kvm-stat-report-empty.perf-6.1.txt"));
    assert.deepEqual(r, { event: "VM-EXIT", rows: [], totalSamples: 0n, totalTimeUs: 0, lostEvents: 0n, errors: [] });
  });

  it("arbitrary and mangled text: a report or a ParseError, never NaN", () => {
    const sample = perf("kvm-stat-report-vmexit-svm.handwritten.txt");
    const mangled = fc.tuple(fc.nat({ max: sample.length }), fc.string({ maxLength: 30 })).map(([at, junk]) => sample.slice(0, at) + junk + sample.slice(at));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mangled), (text) => {
        try {
          const r = parseKvmStatReport(text);
          assert.ok(Number.isFinite(r.totalTimeUs));
          for (const row of r.rows) for (const v of [row.samplesPct, row.timePct, row.minTimeUs, row.maxTimeUs, row.avgTimeUs]) assert.ok(v === null || Number.isFinite(v));
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("garbage is a ParseError; rows that do not add up are reported", () => {
    assert.throws(() => parseKvmStatReport(perf("garbage.txt")), ParseError);
    assert.throws(() => parseKvmStatReport(perf("kvm-exit.perf-6.1.txt")), ParseError);
    const text = perf("kvm-stat-report-vmexit-old.handwritten.txt").replace("Total Samples:1600", "Total Samples:1700");
    assert.match(parseKvmStatReport(text).errors[0] ?? "", /rows add up to 1600 samples, the total says 1700/);
  });
});

describe("kvmexits: collectExitReasons", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "eastwest-test-kvmstat-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("records, reports, resolves codes and removes its temporary file", async () => {
    const { exec, calls } = fakeExec([
      ["perf kvm stat record", { stderr: "[ perf record: Woken up 1 times to write data ]\n" }],
      ["perf kvm -i", { stderr: perf("kvm-stat-report-vmexit.handwritten.txt") }],
    ]);
    const r = await collectExitReasons({ exec, durationMs: 1500, tmpDir: dir });
    assert.ok(r.available);
    assert.equal(r.total, 391_091n);
    assert.deepEqual(r.reasons[0], {
      reason: "EPT_MISCONFIG", vendor: "vmx", code: 49, count: 181_204n, countPct: 46.33, timePct: 19.6, minTimeUs: 0.9, maxTimeUs: 84.13, avgTimeUs: 2.28,
    });
    assert.match(calls[0] ?? "", /^perf kvm stat record -a -o .*perf\.data\.kvm -- sleep 1\.5$/);
    assert.match(calls[1] ?? "", /^perf kvm -i .*perf\.data\.kvm stat report --event=vmexit$/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("pids instead of -a; argument arrays", () => {
    assert.deepEqual(kvmStatArgs("/x/f", 2000, [11, 12]).record, ["kvm", "stat", "record", "-p", "11,12", "-o", "/x/f", "--", "sleep", "2"]);
  });

  it("perf missing or no kvm tracepoints: unavailable with the reason; bad options throw", async () => {
    const missing = await collectExitReasons({ exec: fakeExec([["perf", notFound("perf")]]).exec, durationMs: 100, tmpDir: dir });
    assert.deepEqual(missing, { available: false, reason: "unavailable: perf not found (install linux-perf)" });
    const noTp = failed("perf", 129, perf("err-unknown-tracepoint.perf-6.1.txt").replaceAll("no_such_tracepoint", "kvm_exit"));
    const r = await collectExitReasons({ exec: fakeExec([["perf", noTp]]).exec, durationMs: 100, tmpDir: dir });
    assert.deepEqual(r, { available: false, reason: "unavailable: tracepoint kvm:kvm_exit not found (kvm module not loaded?)" });
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(collectExitReasons({ exec: fakeExec([]).exec, durationMs: 5, tmpDir: dir }), RangeError);
  });
});

describe("kvmexits: sampler", () => {
  it("captured here: intervals with 0 exits give exits 0, a rate and the interval", () => {
    const a = new PerfIntervalAssembler(1);
    const got = parsePerfStat(perf("kvm-exit-I200.perf-6.1.txt"), { interval: true }).records.flatMap((r) => a.push(r) ?? []);
    const { fields, exits } = kvmExitFields(got, 7n);
    assert.deepEqual(fields, { exits: 0n, exits_total: 7n, exits_per_s: 0, interval_ns: 508_044_622n });
    assert.equal(exits, 0n);
  });

  it("captured here: the probe counts 0 -> available; points follow perf intervals; exits_total accumulates", async () => {
    const { spawn, children } = fakeSpawn();
    const { exec } = fakeExec([[PROBE, { stderr: perf("kvm-exit.perf-6.1.txt") }]]);
    const s = kvmexitsSampler({ spawn });
    assert.deepEqual(await s.init?.(ctx(mapFs({}), T0, { exec })), { available: true });
    await s.sample(ctx(mapFs({}), T0, { exec }));
    assert.deepEqual(children[0]?.args, ["stat", "-x,", "-I", "1000", "-e", "kvm:kvm_exit", "-a", "--", "cat"]);
    children[0]?.emit("     1.000100000,2500,,kvm:kvm_exit,2000200000,100.00,,\n     2.000100000,1500,,kvm:kvm_exit,2000000000,100.00,,");
    const r1 = await s.sample(ctx(mapFs({}), T0 + SECOND, { exec }));
    assert.deepEqual(pointWith(r1.points, "kvm_exits").fields, { exits: 4000n, exits_total: 4000n, exits_per_s: 4000 / 2.0001, interval_ns: 2_000_100_000n });
    children[0]?.emit("     3.000100000,10,,kvm:kvm_exit,2000000000,100.00,,");
    const r2 = await s.sample(ctx(mapFs({}), T0 + 2n * SECOND, { exec }));
    assert.equal(pointWith(r2.points, "kvm_exits").fields["exits_total"], 4010n);
    assert.deepEqual(Object.keys(pointWith(r2.points, "kvm_exits").tags).sort(), ["agent_id", "host", "netns"]);
    await s.close?.();
    assert.equal(children[0]?.closed, true);
  });

  it("no tracepoint, no permission, no perf: unavailable with the reason", async () => {
    const cases: Array<[Error, RegExp]> = [
      [failed("perf", 129, perf("err-unknown-tracepoint.perf-6.1.txt").replaceAll("no_such_tracepoint", "kvm_exit")), /^unavailable: tracepoint kvm:kvm_exit not found/],
      [failed("perf", 129, perf("err-tracefs-permission.perf-6.1.txt")), /^unavailable: no permission to read tracefs/],
      [notFound("perf"), /^unavailable: perf not found/],
    ];
    for (const [err, reason] of cases) {
      const a = await kvmexitsSampler().init?.(ctx(mapFs({}), T0, { exec: fakeExec([[PROBE, err]]).exec }));
      assert.equal(a?.available, false);
      assert.match(a?.available === false ? a.reason : "", reason);
    }
  });
});
