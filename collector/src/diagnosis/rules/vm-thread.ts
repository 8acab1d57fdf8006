// A vCPU or QEMU IO/vhost thread at ~100 % of a CPU (vm_thread, the host agent's view of the run's VMs): that
// thread is the data path's ceiling — a vCPU runs the guest's stack, the IO thread or vhost worker moves every
// packet between the tap and the virtio rings.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** run_pct of one thread: one CPU minus sampling error (schedstat over >= 2 samples). */
const SATURATED_PCT = 95;
/** High but with headroom: worth naming as contributing. */
const BUSY_PCT = 80;
const KINDS = ["vcpu", "io", "vhost", "main"];

const head = { id: "vm-thread", title: "vCPU or QEMU IO/vhost thread saturated" };

export const vmThread: Rule = {
  ...head,
  signals: ["vm_thread.run_pct (record hostSide.vms[].threads)"],
  thresholds: [
    { name: "saturated thread", value: SATURATED_PCT, unit: "% of one CPU", source: "a thread cannot run more than one CPU; 5 % margin for the schedstat sampling" },
    { name: "busy thread", value: BUSY_PCT, unit: "% of one CPU", source: "little headroom left" },
  ],
  evaluate(input) {
    const h = input.record.hostSide;
    const vms = Array.isArray(h?.vms) ? h.vms : [];
    if (vms.length === 0) {
      const why = input.record.results?.model?.observed?.exit_source ?? (h?.notes?.[0] || "no VM carries this run");
      return cannotTell(head, "vm_thread", String(why));
    }
    const threads = vms.flatMap((v) => (Array.isArray(v.threads) ? v.threads : []).map((t) => ({ vm: v.vm, kind: t.kind, thread: t.thread, pct: num(t.run_pct) })));
    const known = threads.filter((t): t is typeof t & { pct: number } => t.pct !== undefined && KINDS.includes(t.kind)).sort((a, b) => b.pct - a.pct);
    if (known.length === 0) return cannotTell(head, "vm_thread", `no thread CPU figures for vm ${vms.map((v) => v.vm).join(", ")} in the window`);
    const evidence = known.slice(0, 6).map((t) => ev(`vm ${t.vm} ${t.kind} ${t.thread}`, t.pct, "% of one CPU", "vm_thread.run_pct (schedstat)", "run window"));
    const top = known[0] as (typeof known)[number];
    const key = { label: `vm ${top.vm} ${top.kind} thread`, value: top.pct, unit: "%" };
    const io = top.kind === "io" || top.kind === "vhost" || top.kind === "main";
    if (top.pct >= SATURATED_PCT) {
      return finding(head, {
        verdict: "bottleneck", confidence: CONFIDENCE.high, evidence, key, end: null,
        explanation: `vm ${top.vm}'s ${top.kind} thread ${top.thread} runs ${top.pct.toFixed(0)} % of a CPU: ${io ? "every packet between tap and virtio ring passes through it" : "the guest's network stack runs on it"}`,
        next: io ? cell("streams-2", { streams: 2 }, "if the rate does not rise with a second stream, the single IO/vhost thread is the ceiling (multiqueue virtio-net would add threads)") : cell("streams-2", { streams: 2 }, "a second stream can use a second vCPU if the guest has one"),
      });
    }
    return finding(head, {
      verdict: top.pct >= BUSY_PCT ? "contributing" : "ruled out", confidence: CONFIDENCE.medium, evidence, key, end: null,
      explanation: `the busiest VM thread (vm ${top.vm} ${top.kind} ${top.thread}) runs ${top.pct.toFixed(0)} % of a CPU`,
    });
  },
};
