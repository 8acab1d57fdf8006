// perf script output of CPU profiles (captured here, fixtures/perf/META) into samples per cost term per process.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { ParseError } from "@eastwest/common";
import { parsePerfScript, PerfScriptReader } from "../../../agent/src/host/perf.script.parse.ts";
import { ProfileAccumulator, MAX_PROCESSES } from "../../../agent/src/host/perf.profile.summary.ts";
import { classify, PROFILE_TERMS } from "../../../agent/src/host/perf.terms.ts";
import { profileArgs } from "../../../agent/src/host/perf.profile.collect.ts";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/perf/${name}`, import.meta.url), "utf8");
const META = { frequencyHz: 199, callGraph: true, startNs: 1n, endNs: 2n, monoToWallNs: 1_000_000_000_000_000n };

function summarise(text: string) {
  const acc = new ProfileAccumulator();
  const reader = new PerfScriptReader((s) => acc.sample(s));
  for (const line of text.split("\n")) reader.line(line);
  return acc.summary(META, reader.end());
}

const sum = (t: Partial<Record<string, number>>) => Object.values(t).reduce((a: number, n) => a + (n ?? 0), 0);

describe("perf script parser and cost terms", () => {
  it("namespace run with call chains: both iperf3 ends show copies, and the terms explain >= 80 % of their CPU", () => {
    const s = summarise(fixture("profile-netns-g-199hz.perf-6.1.txt"));
    assert.equal(s.totalSamples, 500);
    assert.equal(s.badLines, 0);
    assert.equal(s.periodNs, 5025125, "cpu-clock at 199 Hz: one sample stands for 5.03 ms");
    for (const pid of [18754, 18760]) {
      const p = s.processes.find((x) => x.pid === pid);
      assert.ok(p, `iperf3 ${pid} in the profile`);
      assert.equal(p.comm, "iperf3");
      assert.ok((p.terms.copies ?? 0) >= 20, `copies of ${pid}: ${p.terms.copies}`);
      assert.equal(sum(p.terms), p.samples, "every sample in one term");
      const explained = p.samples - (p.terms.other ?? 0) - (p.terms.idle ?? 0);
      assert.ok(explained / p.samples >= 0.8, `${pid}: ${explained}/${p.samples}`);
    }
    assert.ok((s.terms.vhost_qemu ?? 0) > 100, "the TCG guest's QEMU threads by their names");
    assert.equal(sum(s.terms), s.totalSamples);
    assert.ok(s.firstSampleNs > 1_000_000_000_000_000n && s.lastSampleNs > s.firstSampleNs, "sample times on the wall clock");
  });

  it("without call chains the leaf decides (one line per sample)", () => {
    const s = summarise(fixture("profile-loopback-nog-199hz.perf-6.1.txt"));
    assert.equal(s.totalSamples, 400);
    assert.equal(s.badLines, 0);
    assert.ok((s.terms.copies ?? 0) > 0, "_copy_from_iter/_copy_to_iter leaves");
  });

  it("hostile lines are counted and quoted, never fatal; a real sample around them still counts", () => {
    const { samples, stats } = parsePerfScript(fixture("profile-mixed.handwritten.txt"));
    assert.equal(stats.badLines, 3);
    assert.equal(samples.length, 8);
    assert.match(stats.quoted[0] ?? "", /this line is garbage/);
    const s = summarise(fixture("profile-mixed.handwritten.txt"));
    assert.deepEqual(s.terms, { copies: 1, checksum: 1, softirq: 1, stack: 1, vhost_qemu: 1, idle: 1, other: 2 });
    assert.deepEqual(s.processes.find((p) => p.pid === 100), { pid: 100, comm: "iperf3", samples: 4, terms: { copies: 1, checksum: 1, stack: 1, other: 1 } });
    assert.equal(s.processes.find((p) => p.pid === 200)?.comm, "CPU 0/KVM", "a thread name with a space and a slash");
    assert.equal(s.errors.length, 3);
  });

  it("text that is not perf script output is a ParseError naming the first line", () => {
    assert.throws(() => parsePerfScript(fixture("profile-garbage.txt")), (e: unknown) => e instanceof ParseError && /not perf script output.*this is not perf output/.test(e.message));
    assert.throws(() => parsePerfScript(fixture("garbage.txt")), ParseError);
    assert.deepEqual(parsePerfScript("").samples, [], "empty output: no samples, no error");
  });

  it("classification rules", () => {
    assert.equal(classify("iperf3", ["_raw_spin_unlock_irqrestore", "tcp_write_xmit"]), "stack", "a skewed sample counts for its caller");
    assert.equal(classify("iperf3", ["_raw_spin_unlock_irqrestore"]), "other", "no caller: other");
    assert.equal(classify("iperf3", ["__check_object_size", "_copy_from_iter"]), "copies");
    assert.equal(classify("iperf3", ["copy_user_enhanced_fast_string"]), "copies");
    assert.equal(classify("iperf3", ["csum_partial", "tcp_sendmsg_locked"]), "checksum");
    assert.equal(classify("iperf3", ["entry_SYSCALL_64_after_hwframe"]), "syscalls");
    assert.equal(classify("ksoftirqd/0", ["__napi_poll", "net_rx_action"]), "softirq");
    assert.equal(classify("iperf3", ["finish_task_switch.isra.0", "__schedule"]), "scheduler");
    assert.equal(classify("vhost-4242", ["_copy_to_iter"]), "vhost_qemu", "vhost threads by name");
    assert.equal(classify("qemu-system-x86", ["memcpy"]), "vhost_qemu");
    assert.equal(classify("swapper", ["pv_native_safe_halt", "default_idle"]), "idle");
    assert.equal(classify("swapper", ["net_rx_action", "handle_softirqs", "do_idle"]), "softirq", "an interrupt's work on an idle CPU is work");
    assert.equal(classify("swapper", []), "idle");
    assert.equal(classify("node", ["[unknown]"]), "other");
  });

  it("perf record arguments: software clock, system-wide, monotonic times, no shell", () => {
    const a = profileArgs("/tmp/x/perf.data", { durationMs: 2500, frequencyHz: 199, callGraph: true });
    assert.deepEqual(a.record, ["record", "-e", "cpu-clock", "-F", "199", "-a", "-g", "-k", "CLOCK_MONOTONIC", "--no-buildid", "-o", "/tmp/x/perf.data", "--", "sleep", "2.5"]);
    assert.ok(!profileArgs("f", { durationMs: 100, frequencyHz: 99, callGraph: false }).record.includes("-g"));
  });

  it("keeps the busiest processes and sums the rest into one row", () => {
    const acc = new ProfileAccumulator();
    for (let pid = 1; pid <= MAX_PROCESSES + 5; pid++) for (let i = 0; i < pid; i++) acc.sample({ comm: `p${pid}`, pid, tid: pid, timeS: 1, periodNs: 1e6, frames: ["tcp_sendmsg"] });
    const s = acc.summary(META, { samples: 0, badLines: 0, quoted: [] });
    assert.equal(s.processes.length, MAX_PROCESSES + 1);
    assert.deepEqual(s.processes.at(-1), { pid: -1, comm: "(5 other processes)", samples: 15, terms: { stack: 15 } });
  });

  it("property: any input lines give counts that add up and never throw except ParseError", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom("iperf3 1/1 1.0: 1000", "\tffff _copy_to_iter", "\t[unknown]", "", "swapper 0/0 2.5: 5025125 ffff do_idle", "x 1/2 3.0: 0"),
      fc.tuple(fc.string({ maxLength: 20 }), fc.nat(), fc.nat(), fc.nat({ max: 1e7 })).map(([c, p, t, per]) => `${c} ${p}/${t} 1.5: ${per}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const acc = new ProfileAccumulator();
        const reader = new PerfScriptReader((s) => acc.sample(s));
        for (const l of lines) reader.line(l);
        const s = acc.summary(META, reader.end());
        assert.equal(sum(s.terms), s.totalSamples);
        assert.equal(s.processes.reduce((a, p) => a + p.samples, 0), s.totalSamples);
        for (const k of Object.keys(s.terms)) assert.ok((PROFILE_TERMS as readonly string[]).includes(k));
        assert.ok(Number.isFinite(s.periodNs));
        try {
          parsePerfScript(lines.join("\n"));
        } catch (e) {
          assert.ok(e instanceof ParseError, String(e));
        }
      }),
    );
  });
});
