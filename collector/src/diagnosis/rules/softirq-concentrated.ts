// Softirq concentrated on one CPU: the share of NET_RX softirqs (per-CPU /proc/softirqs) the busiest CPU handled
// over the window, and whether that CPU had time left. One TCP stream hashes to one receive queue, so one CPU
// taking all of NET_RX is normal for a single stream; it limits the run only when that CPU is also saturated.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { byTag, ends, increase, meanOf, windowText } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Share of the window's NET_RX on one CPU above which the work is concentrated (RSS/RPS spread nothing). */
const CONCENTRATED_SHARE = 0.9;
/** That CPU's mean busy %: saturated (as cpu-saturated's host threshold). */
const CPU_BUSY_PCT = 95;

const head = { id: "softirq-concentrated", title: "NET_RX softirqs concentrated on one CPU" };

export const softirqConcentrated: Rule = {
  ...head,
  signals: ["softirqs.net_rx_total per cpu (receiver)", "cpu.busy_pct per cpu"],
  thresholds: [
    { name: "NET_RX share of one CPU", value: CONCENTRATED_SHARE, unit: "fraction", source: "a flow hashes to one queue; >= 90 % on one CPU means RSS/RPS spread nothing" },
    { name: "that CPU busy", value: CPU_BUSY_PCT, unit: "%", source: "as cpu-saturated: < 5 % idle" },
  ],
  evaluate(input) {
    const { receiverSide } = ends(input.record);
    const s = input.samples;
    if (!s) return cannotTell(head, "softirqs per cpu", "no samples were given to the diagnosis (the record alone)");
    const rows = byTag(s[receiverSide]?.softirqs, "cpu", (v) => v !== "all")
      .map((x) => ({ cpu: x.tags["cpu"] as string, n: increase(x, "net_rx_total", s.fromNs, s.toNs) }))
      .filter((x): x is { cpu: string; n: number } => x.n !== undefined);
    if (rows.length === 0) return cannotTell(head, "softirqs per cpu", s.missing ?? `no softirqs samples of the receiver (${s[receiverSide]?.agent_id ?? "?"}) in the window`);
    const total = rows.reduce((a, x) => a + x.n, 0);
    const w = windowText(s, input.record);
    if (total === 0) return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.low, explanation: "no NET_RX softirqs counted on the receiver in the window", evidence: [ev("receiver NET_RX softirqs", 0, "", "softirqs.net_rx_total", w)] });
    const top = rows.sort((a, b) => b.n - a.n)[0] as { cpu: string; n: number };
    const share = top.n / total;
    const cpuSeries = byTag(s[receiverSide]?.cpu, "cpu", (v) => v === top.cpu)[0];
    const busy = cpuSeries ? meanOf(cpuSeries, "busy_pct", s.fromNs, s.toNs) : undefined;
    const evidence = [
      ev(`receiver NET_RX on ${top.cpu}`, share * 100, "% of all CPUs'", "softirqs.net_rx_total increase per cpu", w),
      ev("receiver NET_RX softirqs", total, "", "softirqs.net_rx_total increase, all cpus", w),
      ev(`${top.cpu} busy`, busy ?? null, "%", "cpu.busy_pct", w),
      ev("CPUs with NET_RX", rows.length, "", "softirqs per cpu", w),
    ];
    const key = { label: `NET_RX on ${top.cpu}`, value: share * 100, unit: "%" };
    if (share < CONCENTRATED_SHARE || rows.length < 2) {
      const why = rows.length < 2 ? "only one CPU reports softirqs" : `the busiest CPU handles ${(share * 100).toFixed(0)} % of NET_RX`;
      return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.medium, key, evidence, end: "receiver", explanation: `${why}: the work is spread` });
    }
    if (busy !== undefined && busy >= CPU_BUSY_PCT) {
      return finding(head, {
        verdict: "contributing", confidence: CONFIDENCE.medium, key, evidence, end: "receiver",
        explanation: `${top.cpu} handles ${(share * 100).toFixed(0)} % of the receiver's NET_RX and is ${busy.toFixed(0)} % busy: packet processing queues behind one CPU`,
        next: cell("streams-4", { streams: 4 }, "more streams hash to more queues/CPUs (with RPS/RSS); throughput rises if one CPU's softirq work was the limit"),
      });
    }
    return finding(head, {
      verdict: "ruled out", confidence: CONFIDENCE.medium, key, evidence, end: "receiver",
      explanation: `${top.cpu} handles ${(share * 100).toFixed(0)} % of NET_RX (normal for one stream) but has time left (${busy === undefined ? "busy unknown" : `${busy.toFixed(0)} % busy`})`,
    });
  },
};
