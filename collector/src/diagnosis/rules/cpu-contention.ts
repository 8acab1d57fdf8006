// CPU contention: the data path was runnable and waited for a CPU that something else held. On the host, a VM's vCPU
// or IO/vhost thread's scheduler wait (vm_thread wait_ns_total, the kernel's schedstat run_delay) is time the guest's
// stack or its packets did not move although they could; inside a guest, steal (cpu steal_pct) is the same seen from
// within. The usual cause on a production hypervisor is other load on the same CPUs (neighbours), and a thread held
// below the saturation threshold that way is still limited by CPU: cpu-saturated and vm-thread would rule it out.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ends, num } from "../read.ts";
import { CONFIDENCE, type Evidence, type Rule } from "../types.ts";

/** A data-path thread that waited this share of the window lost that much of its time: worth naming. */
const WAIT_CONTRIBUTING_PCT = 10;
/** ... and with this much waiting while runnable nearly all the time, the wait is the limit. */
const WAIT_BOTTLENECK_PCT = 25;
/** run + wait: the thread wanted a whole CPU (it was runnable, running or not, nearly all the window). */
const RUNNABLE_PCT = 90;
/** Steal of an end's CPUs (cpu=all, % of its CPU time): the hypervisor ran something else on them. */
const STEAL_CONTRIBUTING_PCT = 10;
const STEAL_BOTTLENECK_PCT = 25;
const PATH_KINDS = ["vcpu", "io", "vhost", "main"];

const head = { id: "cpu-contention", title: "CPU contention: the data path waited for a CPU" };

export const cpuContention: Rule = {
  ...head,
  signals: ["vm_thread.wait_ns_total (record hostSide.vms[].threads[].wait_pct)", "run_endpoint.steal_pct (cpu=all)"],
  thresholds: [
    { name: "thread wait, contributing", value: WAIT_CONTRIBUTING_PCT, unit: "% of the window", source: "a runnable thread that waits loses that share of its time; a tenth is beyond the schedstat sampling error" },
    { name: "thread wait, bottleneck", value: WAIT_BOTTLENECK_PCT, unit: "% of the window", source: "a quarter of the window waiting, with run + wait >= 90 % (the thread wanted a whole CPU)" },
    { name: "steal, contributing / bottleneck", value: STEAL_CONTRIBUTING_PCT, unit: "%", source: `the same shares seen from inside a guest (${STEAL_CONTRIBUTING_PCT} / ${STEAL_BOTTLENECK_PCT} %)` },
  ],
  evaluate(input) {
    const vms = Array.isArray(input.record.hostSide?.vms) ? input.record.hostSide.vms : [];
    const threads = vms
      .flatMap((v) => (Array.isArray(v.threads) ? v.threads : []).map((t) => ({ vm: v.vm, kind: t.kind, thread: t.thread, run: num(t.run_pct), wait: num(t.wait_pct) })))
      .filter((t): t is typeof t & { wait: number } => t.wait !== undefined && PATH_KINDS.includes(t.kind))
      .sort((a, b) => b.wait - a.wait);
    const { sender, receiver } = ends(input.record);
    const steals = [
      { role: "sender" as const, steal: num(sender?.cpu?.steal_pct) },
      { role: "receiver" as const, steal: num(receiver?.cpu?.steal_pct) },
    ].filter((s): s is { role: "sender" | "receiver"; steal: number } => s.steal !== undefined).sort((a, b) => b.steal - a.steal);
    const evidence: Evidence[] = [
      ...threads.slice(0, 6).map((t) => ev(`vm ${t.vm} ${t.kind} ${t.thread} waiting`, t.wait, "% of the window", "vm_thread.wait_ns_total (schedstat run_delay)", "run window")),
      ...steals.map((s) => ev(`${s.role} CPU steal`, s.steal, "%", "run_endpoint.steal_pct (cpu=all)", "run window")),
    ];
    const t = threads[0];
    const s = steals[0];
    // why: steal is evidence only when there is some: a guest without a steal clock (TCG) or a bare-metal end reads 0
    // however contended its CPUs are, so without thread waits a low steal rules nothing out.
    if (t === undefined && (s === undefined || s.steal < STEAL_CONTRIBUTING_PCT)) {
      const why = vms.length === 0 ? "no VM carries this run (a namespace end's scheduler wait is not recorded)" : "the record has no VM thread wait figures (made before they were recorded)";
      return cannotTell(head, "vm_thread wait", `${why}; ${s === undefined ? "neither end reported steal" : `steal ${s.steal.toFixed(0)} % (0 from a guest without a steal clock, or from bare metal, whatever the load)`}`, evidence);
    }
    const threadBottleneck = t !== undefined && t.wait >= WAIT_BOTTLENECK_PCT && (t.run ?? 0) + t.wait >= RUNNABLE_PCT;
    const stealBottleneck = s !== undefined && s.steal >= STEAL_BOTTLENECK_PCT;
    const next = cell("baseline-idle-host", {}, "repeat with the host's other load stopped or the VM's threads pinned to CPUs of their own: the difference is what the contention costs");
    if (threadBottleneck || stealBottleneck) {
      const byThread = threadBottleneck && (!stealBottleneck || (t as NonNullable<typeof t>).wait >= (s as NonNullable<typeof s>).steal);
      const explanation = byThread
        ? `vm ${t?.vm}'s ${t?.kind} thread ${t?.thread} waited for a CPU ${t?.wait.toFixed(0)} % of the window while it ran ${(t?.run ?? 0).toFixed(0)} %: it wanted a whole CPU and other work held it`
        : `the ${s?.role}'s CPUs had ${s?.steal.toFixed(0)} % of their time stolen by the hypervisor: the guest's stack waited while the host ran something else`;
      const key = byThread ? { label: `vm ${t?.vm} ${t?.kind} thread wait`, value: t?.wait ?? null, unit: "%" } : { label: `${s?.role} steal`, value: s?.steal ?? null, unit: "%" };
      return finding(head, { verdict: "bottleneck", confidence: CONFIDENCE.medium, evidence, key, end: byThread ? null : (s?.role ?? null), explanation, next });
    }
    const waited = t !== undefined && t.wait >= WAIT_CONTRIBUTING_PCT;
    const stolen = s !== undefined && s.steal >= STEAL_CONTRIBUTING_PCT;
    const parts = [
      t === undefined ? undefined : `the longest-waiting VM thread (vm ${t.vm} ${t.kind} ${t.thread}) waited ${t.wait.toFixed(0)} % of the window`,
      s === undefined ? undefined : `${s.role} steal ${s.steal.toFixed(0)} %`,
    ].filter((x): x is string => x !== undefined);
    const byThread = t !== undefined && (waited || !stolen);
    const key = byThread ? { label: `vm ${t.vm} ${t.kind} thread wait`, value: t.wait, unit: "%" } : { label: `${s?.role} steal`, value: s?.steal ?? null, unit: "%" };
    return finding(head, { verdict: waited || stolen ? "contributing" : "ruled out", confidence: CONFIDENCE.medium, evidence, key, end: byThread ? null : (s?.role ?? null), explanation: parts.join("; "), ...(waited || stolen ? { next } : {}) });
  },
};
