// cpu-contention on hand-made edges of a recorded run: VM threads that waited for a CPU, a guest's steal, and what
// cannot be told (no VM thread waits, a steal of 0 that a TCG guest or bare metal always reads).
import assert from "node:assert/strict";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { cpuContention } from "../../../collector/src/diagnosis/rules/cpu-contention.ts";
import type { HostSide } from "../../../collector/src/run/hostside.ts";
import type { RunResults } from "../../../collector/src/run/results.ts";
import type { RunVm } from "../../../collector/src/run/vms.ts";
import { loadFixture, loadTcg } from "./fixture.ts";

type Rec = { results: RunResults; hostSide: HostSide };
const base = (): Rec => structuredClone(loadFixture("default").record as Rec);

function vm(threads: Array<[kind: string, run: number | null, wait: number | null | undefined]>): RunVm {
  return {
    vm: "g1", vm_uuid: "u", host_agent: "h", guest_agents: ["a"], accel: "kvm", kvm_stats: "qmp", net: [], exits: 1000, exits_reason: null,
    threads: threads.map(([kind, run_pct, wait_pct], i) => ({ kind, thread: `${kind}${i}`, run_pct, ...(wait_pct === undefined ? {} : { wait_pct }) })),
  };
}

const judge = (record: Rec) => cpuContention.evaluate({ record: record as never, samples: null });

describe("diagnosis rule: cpu-contention", () => {
  it("a vCPU thread runnable all the window that waited a third of it is the bottleneck", () => {
    const record = base();
    record.hostSide.vms = [vm([["vcpu", 64, 33], ["io", 20, 2], ["other", 1, 90]])];
    const f = judge(record);
    assert.deepEqual([f.verdict, f.key?.label, f.key?.value, f.end], ["bottleneck", "vm g1 vcpu thread wait", 33, null]);
    assert.match(f.explanation, /waited for a CPU 33 % of the window while it ran 64 %/);
    assert.equal(f.next?.cell.name, "baseline-idle-host");
    assert.ok(!f.evidence.some((e) => e.name.includes("other")), "threads off the data path are not evidence");
  });

  it("the same wait in a thread that did not want a whole CPU contributes; a small wait rules it out", () => {
    const record = base();
    record.hostSide.vms = [vm([["vcpu", 40, 30]])];
    assert.equal(judge(record).verdict, "contributing", "run + wait 70 %: it was not runnable all the window");
    record.hostSide.vms = [vm([["vhost", 85, 12]])];
    assert.equal(judge(record).verdict, "contributing");
    record.hostSide.vms = [vm([["vcpu", 95, 3], ["io", 30, 1]])];
    const f = judge(record);
    assert.deepEqual([f.verdict, f.key?.value], ["ruled out", 3]);
    assert.equal(f.next, null);
  });

  it("a guest's steal is evidence when there is some: 30 % is the bottleneck at that end, 12 % contributes", () => {
    const record = base();
    record.results.server.cpu = { ...record.results.server.cpu, steal_pct: 30 };
    const f = judge(record);
    const receiver = record.results.sender === "server" ? "sender" : "receiver";
    assert.deepEqual([f.verdict, f.end, f.key?.value], ["bottleneck", receiver, 30]);
    assert.match(f.explanation, /had 30 % of their time stolen by the hypervisor/);
    record.results.server.cpu = { ...record.results.server.cpu, steal_pct: 12 };
    assert.deepEqual([judge(record).verdict, judge(record).end], ["contributing", receiver]);
  });

  it("without VM thread waits a low steal rules nothing out: cannot tell, saying why", () => {
    const ns = judge(base());
    assert.equal(ns.verdict, "cannot tell");
    assert.match(ns.explanation, /^vm_thread wait unavailable: no VM carries this run .*steal 0 % \(0 from a guest without a steal clock/);
    const older = structuredClone(loadTcg("default").record as Rec);
    const f = judge(older);
    assert.equal(f.verdict, "cannot tell");
    assert.match(f.explanation, /the record has no VM thread wait figures \(made before they were recorded\)/);
    older.hostSide.vms = older.hostSide.vms.map((v) => ({ ...v, threads: v.threads.map((t) => ({ ...t, wait_pct: t.kind === "vcpu" ? 40 : 0 })) }));
    assert.notEqual(judge(older).verdict, "cannot tell", "the same TCG record with waits");
  });

  it("is one of the engine's findings, ranked with the others", () => {
    const record = base();
    record.hostSide.vms = [vm([["vcpu", 70, 28]])];
    const d = diagnose(record as never, null);
    const f = d.findings.find((x) => x.rule === "cpu-contention");
    assert.equal(f?.verdict, "bottleneck");
  });
});
