// vm sampler parsers on captured QEMU 7.2 output (test/fixtures/qmp, test/fixtures/proc-vm; see their META).
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { ParseError } from "@eastwest/common";
import { KVM_VCPU_COUNTERS } from "../../../common/src/schema/vm.ts";
import { isQemu, parseQemuCmdline, splitCmdline, splitOpts } from "../../../agent/src/samplers/vm/vm.cmdline.ts";
import { LineSplitter, parseQmpLine } from "../../../agent/src/samplers/vm/qmp.protocol.ts";
import { parseCpusFast, parseQueryStats, parseStatsSchemas, vcpuValues, vmValues } from "../../../agent/src/samplers/vm/vm.stats.ts";
import { classifyThread, groupThreads, parseSchedstat, type Task } from "../../../agent/src/samplers/vm/vm.threads.ts";
import { FIXTURES, fixture } from "./helpers.ts";

/** The "return" value of a captured reply line. */
function ret(...parts: string[]): unknown {
  const msg = parseQmpLine(fixture("qmp", ...parts).trim());
  assert.equal(msg.kind, "return");
  return msg.kind === "return" ? msg.value : undefined;
}

const argvOf = (tree: string, pid: string): string[] => splitCmdline(fixture("proc-vm", tree, pid, "cmdline"));

describe("vm: QEMU command lines", () => {
  it("parses the captured -accel kvm and -accel tcg command lines", () => {
    const kvm = parseQemuCmdline(argvOf("t0", "23679"));
    assert.equal(kvm.name, "fx");
    assert.equal(kvm.uuid, "6f1c2a3e-8b1d-4c55-9a2e-2f7e4d0c1a10");
    assert.equal(kvm.accel, "kvm");
    assert.equal(kvm.debugThreads, true);
    assert.match(kvm.qmpSocket ?? "", /\/kvm\.sock$/);
    assert.equal(kvm.qmpProblem, undefined);
    assert.equal(kvm.smp, 2);
    const tcg = parseQemuCmdline(argvOf("t0", "23680"));
    assert.deepEqual([tcg.name, tcg.accel], ["fxtcg", "tcg"]);
  });

  it("libvirt's form: monitor passed as fd=, -accel kvm, iothread, -smp with topology", () => {
    const argv = argvOf("libvirt", "4242");
    assert.ok(isQemu(argv));
    const c = parseQemuCmdline(argv);
    assert.deepEqual([c.name, c.uuid, c.accel, c.smp, c.qmpSocket], ["web01", "3f0e7c9a-5b2d-4e8f-9c1a-7d6e5f4a3b21", "kvm", 2, undefined]);
    assert.match(c.qmpProblem ?? "", /file descriptor/);
  });

  it("other spellings: -chardev path + -mon control, -machine accel=, -enable-kvm, --name, qemu-kvm, ',,'", () => {
    const chardev = parseQemuCmdline(["qemu-system-x86_64", "-chardev", "socket,id=m0,path=/run/q/a.sock,server=on,wait=off", "-mon", "chardev=m0,mode=control", "-name", "a,,b"]);
    assert.deepEqual([chardev.qmpSocket, chardev.name], ["/run/q/a.sock", "a,b"]);
    const hmp = parseQemuCmdline(["qemu-system-x86_64", "-chardev", "socket,id=m0,path=/run/q/h.sock,server=on", "-mon", "chardev=m0,mode=readline"]);
    assert.equal(hmp.qmpSocket, undefined, "a human monitor is not QMP");
    assert.equal(parseQemuCmdline(["qemu-system-x86_64", "-machine", "pc-i440fx-2.1,accel=kvm:tcg,usb=off"]).accel, "kvm");
    assert.equal(parseQemuCmdline(["qemu-system-x86_64", "-nographic", "-enable-kvm"]).accel, "kvm");
    assert.equal(parseQemuCmdline(["/usr/bin/qemu-kvm", "--name", "x"]).accel, "kvm");
    assert.equal(parseQemuCmdline(["/usr/bin/qemu-kvm", "--name", "x"]).name, "x");
    assert.equal(parseQemuCmdline(["qemu-system-aarch64", "-qmp", "tcp:127.0.0.1:4444,server"]).qmpProblem, 'QMP monitor "tcp:127.0.0.1:4444" is not a unix socket');
    assert.equal(parseQemuCmdline(["qemu-system-x86_64", "-qmp", "unix:/x/q.sock,server,nowait"]).qmpSocket, "/x/q.sock");
    assert.deepEqual(splitOpts("guest=a,debug-threads=on", "guest"), [["guest", "a"], ["debug-threads", "on"]]);
    assert.equal(isQemu(["/usr/bin/python3", "qemu-system-x86_64"]), false);
    assert.equal(isQemu([]), false);
  });
});

describe("vm: QMP protocol", () => {
  it("decodes greeting, reply, error and event lines", () => {
    assert.deepEqual(parseQmpLine(fixture("qmp", "kvm", "greeting.json")), { kind: "greeting", version: "7.2.22" });
    assert.deepEqual(parseQmpLine(fixture("qmp", "errors", "command-not-found.json")), {
      kind: "error", id: "c11", errorClass: "CommandNotFound", desc: "The command no-such-command has not been found",
    });
    const lines = fixture("qmp", "tcg", "stop-cont-transcript.jsonl").trim().split("\n").map(parseQmpLine);
    assert.deepEqual(lines.map((m) => m.kind), ["event", "return", "event", "return"]);
  });

  it("keeps u64 counters exact beyond 2^53", () => {
    const msg = parseQmpLine('{"return": [{"provider": "kvm", "stats": [{"name": "exits", "value": 18446744073709551615}]}], "id": "x"}');
    const stats = parseQueryStats([], msg.kind === "return" ? msg.value : undefined);
    assert.equal(stats.vcpus[0]?.stats["exits"], 18446744073709551615n);
  });

  it("garbage and truncated lines are ParseErrors that say what was wrong", () => {
    assert.throws(() => parseQmpLine("QEMU 7.2.22 monitor - type 'help' for more information"), /not a JSON line.*human monitor/);
    const full = fixture("qmp", "kvm", "query-stats-vm-t0.json").trim();
    assert.throws(() => parseQmpLine(full.slice(0, 100)), ParseError);
    assert.throws(() => parseQmpLine("[1,2]"), /not a JSON object/);
    assert.throws(() => parseQmpLine('{"id": 1}'), /neither greeting, reply, error nor event/);
  });

  it("frames lines across arbitrary chunk boundaries, bounded", () => {
    const text = fixture("qmp", "tcg", "stop-cont-transcript.jsonl").replaceAll("\n", "\r\n");
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 12 }), (cuts) => {
        const at = [...new Set([0, ...cuts, text.length])].sort((a, b) => a - b);
        const s = new LineSplitter();
        const lines = at.slice(1).flatMap((end, i) => s.push(text.slice(at[i], end)));
        assert.deepEqual(lines, text.trim().split("\r\n"));
        assert.equal(s.pending, 0);
      }),
      { numRuns: 200 },
    );
    assert.throws(() => new LineSplitter(10).push("x".repeat(11)), /longer than 10 characters/);
  });

  it("arbitrary text: a message or a ParseError, nothing else", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        try {
          parseQmpLine(t);
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("vm: query-stats", () => {
  const cpus = parseCpusFast(ret("kvm", "query-cpus-fast.json"));

  it("query-cpus-fast: cpu-index and thread id per QOM path", () => {
    assert.deepEqual(cpus, [
      { qomPath: "/machine/unattached/device[0]", index: 0, threadId: 23688 },
      { qomPath: "/machine/unattached/device[2]", index: 1, threadId: 23689 },
    ]);
  });

  it("per vCPU and VM-wide stats of the -accel kvm capture, vCPUs in cpu-index order", () => {
    const s = parseQueryStats(ret("kvm", "query-stats-vm-t0.json"), ret("kvm", "query-stats-vcpu-t0.json"), cpus);
    assert.deepEqual(s.vcpus.map((v) => [v.index, v.qomPath]), [[0, "/machine/unattached/device[0]"], [1, "/machine/unattached/device[2]"]]);
    assert.equal(s.vcpus[0]?.stats["exits"], 1238n);
    assert.equal(s.vcpus[0]?.stats["insn_emulation"], 386822n);
    assert.equal(s.vcpus[1]?.stats["exits"], 47n);
    assert.equal(s.vcpus[1]?.stats["halt_wait_ns"], 380594404n);
    assert.equal(s.vcpus[0]?.stats["guest_mode"], undefined, "booleans are skipped");
    assert.equal(s.vcpus[0]?.stats["halt_wait_hist"], undefined, "histograms are skipped");
    assert.equal(s.vm["mmu_shadow_zapped"], 16n);
    assert.equal(s.vm["remote_tlb_flush_requests"], 2n);
  });

  it("without query-cpus-fast, vCPUs are numbered in QOM-path order", () => {
    const s = parseQueryStats([], ret("kvm", "query-stats-vcpu-t0.json"));
    assert.deepEqual(s.vcpus.map((v) => [v.index, v.stats["exits"]]), [[0, 1238n], [1, 47n]]);
  });

  it("maps every captured integer stat to the schema; VM exits are the vCPU sum", () => {
    const schema = parseStatsSchemas(ret("kvm", "query-stats-schemas.json"));
    assert.equal(schema.vcpu.get("halt_wait_ns")?.exponent, -9);
    assert.equal(schema.vcpu.get("exits")?.type, "cumulative");
    assert.equal(schema.vm.get("pages_4k")?.type, "instant");
    const s = parseQueryStats(ret("kvm", "query-stats-vm-t0.json"), ret("kvm", "query-stats-vcpu-t0.json"), cpus);
    const vcpus = s.vcpus.map((v) => vcpuValues(v.stats, schema.vcpu));
    assert.deepEqual(vcpus.map((v) => v.unknown), [[], []]);
    // 45 vCPU stats in the capture: 2 booleans and 3 histograms skipped, 40 counters kept.
    assert.equal(Object.keys(vcpus[0]?.counters ?? {}).length, 40);
    assert.ok(Object.keys(vcpus[0]?.counters ?? {}).every((c) => (KVM_VCPU_COUNTERS as readonly string[]).includes(c)));
    const vm = vmValues(s.vm, vcpus, schema);
    assert.deepEqual(vm.unknown, []);
    assert.equal(vm.counters["exits"], 1238n + 47n);
    assert.equal(vm.counters["mmu_cache_miss"], 12n);
    assert.equal(vm.gauges["pages_4k"], 0n);
    assert.equal(vm.gauges["max_mmu_rmap_size"], 0n);
  });

  it("converts a *_ns stat kept in another unit; names an unknown stat", () => {
    const us = new Map([["halt_wait_ns", { type: "cumulative", unit: "seconds", base: 10, exponent: -6 }]]);
    const v = vcpuValues({ halt_wait_ns: 5n, exits_new_kind: 1n }, us);
    assert.equal(v.counters["halt_wait_ns"], 5000n);
    assert.deepEqual(v.unknown, ["exits_new_kind"]);
  });

  it("tcg: empty results; malformed results are ParseErrors", () => {
    const s = parseQueryStats(ret("tcg", "query-stats-vm-t0.json"), ret("tcg", "query-stats-vcpu-t0.json"));
    assert.deepEqual(s, { vm: {}, vcpus: [] });
    assert.deepEqual(parseStatsSchemas(ret("tcg", "query-stats-schemas.json")), { vm: new Map(), vcpu: new Map() });
    assert.throws(() => parseQueryStats({}, []), /target vm: expected a list/);
    assert.throws(() => parseQueryStats([], [{ provider: "kvm", stats: [{ name: "exits", value: -1n }] }]), /exits is negative/);
    assert.throws(() => parseQueryStats([], [{ provider: "kvm", stats: [{ name: "exits", value: 1.5 }] }]), /not an exact integer/);
    assert.throws(() => parseQueryStats([], [{ provider: "kvm", stats: [{ name: "exits", value: 2 ** 60 }] }]), /not an exact integer/);
    assert.throws(() => parseQueryStats([], [{ provider: "kvm", stats: [{ name: "exits", value: -1 }] }]), /exits is negative/);
    assert.throws(() => parseQueryStats([], [{ provider: "kvm", stats: "x" }]), ParseError);
  });
});

describe("vm: threads", () => {
  const task = (tree: string, pid: string, tid: string): Task => ({
    tid: Number(tid),
    comm: fixture("proc-vm", tree, pid, "task", tid, "comm").trim(),
    sched: parseSchedstat(fixture("proc-vm", tree, pid, "task", tid, "schedstat")) ?? assert.fail(`schedstat of ${tid}`),
  });

  it("parses schedstat; rejects malformed", () => {
    assert.deepEqual(parseSchedstat(fixture("proc-vm", "t0", "23679", "task", "23688", "schedstat")), { runNs: 819657772n, waitNs: 212635448n, timeslices: 180n });
    for (const bad of ["", "1 2", "1 2 x\n", "-1 2 3"]) assert.equal(parseSchedstat(bad), undefined);
  });

  it("classifies the captured kvm guest's threads (debug-threads=on)", () => {
    const tids = ["23679", "23683", "23687", "23688", "23689", "23691"];
    const groups = groupThreads(tids.map((t) => task("t0", "23679", t)), 23679, new Map());
    assert.deepEqual(groups.map((g) => [g.kind, g.name, g.threads]), [
      ["vcpu", "CPU 0/KVM", 1], ["vcpu", "CPU 1/KVM", 1], ["io", "IO mon_iothread", 1], ["main", "qemu-system-x86", 1], ["other", "other", 2],
    ]);
    assert.equal(groups[4]?.sched.runNs, 2206350n + 3893n);
  });

  it("finds vCPUs by thread id without debug-threads; vhost workers in-process or as kernel threads", () => {
    const tids = new Map([[101, 0], [102, 1]]);
    assert.deepEqual(classifyThread("qemu-system-x86", 101, 100, tids), { kind: "vcpu", name: "CPU 0" });
    assert.deepEqual(classifyThread("qemu-system-x86", 100, 100, tids), { kind: "main", name: "qemu-system-x86" });
    assert.deepEqual(classifyThread("qemu-system-x86", 105, 100, tids), { kind: "other", name: "other" });
    assert.deepEqual(classifyThread("vhost-100", 107, 100, tids), { kind: "vhost", name: "vhost-100" });
    assert.deepEqual(classifyThread("vhost-999", 107, 100, tids), { kind: "other", name: "other" });
    assert.deepEqual(classifyThread("CPU 3/TCG", 109, 100, tids), { kind: "vcpu", name: "CPU 3/TCG" });
    assert.deepEqual(classifyThread("iothread0", 110, 100, tids), { kind: "io", name: "iothread0" });
    assert.ok(FIXTURES.length > 0 && join(FIXTURES, "proc-vm").endsWith("proc-vm"));
  });
});
