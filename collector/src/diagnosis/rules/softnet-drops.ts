// Softnet drops and time squeeze (/proc/net/softnet_stat, per CPU, on both ends): a drop is a packet the backlog
// had no room for (netdev_max_backlog), a squeeze a NAPI poll that ran out of budget or time (netdev_budget)
// with work left. Drops lose packets (TCP retransmits them); squeezes delay them.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ends, increase, windowText } from "../read.ts";
import type { EndSamples } from "../samples.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Any drop in the window: each is a lost packet (the kernel drops only when the backlog is full). */
const DROPS_MIN = 1;
/** Squeezes per second: a few are normal under load; 10/s means NAPI regularly leaves work for later. */
const SQUEEZE_PER_S = 10;

const head = { id: "softnet-drops", title: "softnet backlog drops or time squeeze" };

function sum(e: EndSamples | undefined, field: string, fromNs: bigint, toNs: bigint): number | undefined {
  const parts = (e?.softnet ?? []).map((s) => increase(s, field, fromNs, toNs)).filter((x): x is number => x !== undefined);
  return parts.length === 0 ? undefined : parts.reduce((a, b) => a + b, 0);
}

export const softnetDrops: Rule = {
  ...head,
  signals: ["softnet.dropped_total per cpu", "softnet.time_squeeze_total per cpu"],
  thresholds: [
    { name: "drops", value: DROPS_MIN, unit: "packets in the window", source: "softnet_stat dropped counts only full-backlog drops: any is a lost packet" },
    { name: "time squeeze", value: SQUEEZE_PER_S, unit: "per s", source: "net.core.netdev_budget exhausted with work left; occasional squeezes are normal under load" },
  ],
  evaluate(input) {
    const s = input.samples;
    if (!s) return cannotTell(head, "softnet", "no samples were given to the diagnosis (the record alone)");
    const { senderSide, receiverSide } = ends(input.record);
    const w = windowText(s, input.record);
    const seconds = Number(s.toNs - s.fromNs) / 1e9;
    const figs = (["sender", "receiver"] as const).map((role) => {
      const e = s[role === "sender" ? senderSide : receiverSide];
      return { role, drops: sum(e, "dropped_total", s.fromNs, s.toNs), squeeze: sum(e, "time_squeeze_total", s.fromNs, s.toNs) };
    });
    if (figs.every((f) => f.drops === undefined && f.squeeze === undefined)) return cannotTell(head, "softnet", s.missing ?? "no softnet samples of either end in the window");
    const evidence = figs.flatMap((f) => [ev(`${f.role} softnet drops`, f.drops ?? null, "packets", "softnet.dropped_total increase, all cpus", w), ev(`${f.role} time squeeze`, f.squeeze ?? null, "", "softnet.time_squeeze_total increase, all cpus", w)]);
    const drops = figs.reduce((a, f) => a + (f.drops ?? 0), 0);
    const squeeze = figs.reduce((a, f) => a + (f.squeeze ?? 0), 0);
    const perS = seconds > 0 ? squeeze / seconds : 0;
    if (drops >= DROPS_MIN) {
      const role = (figs.find((f) => (f.drops ?? 0) > 0)?.role ?? "receiver") as "sender" | "receiver";
      return finding(head, {
        verdict: "contributing", confidence: CONFIDENCE.high, end: role, evidence, key: { label: "softnet drops", value: drops, unit: "packets" },
        explanation: `${drops} packets dropped at the ${role}'s backlog (netdev_max_backlog full): each one costs a retransmit`,
        next: cell("baseline", {}, "repeat with net.core.netdev_max_backlog raised (not a campaign axis: set it by hand) to see if the drops go"),
      });
    }
    if (perS >= SQUEEZE_PER_S) {
      return finding(head, {
        verdict: "contributing", confidence: CONFIDENCE.medium, evidence, key: { label: "time squeeze", value: perS, unit: "/s" }, end: "both",
        explanation: `NAPI ran out of budget ${perS.toFixed(0)} times a second: packet processing is CPU-bound and leaves work for later`,
      });
    }
    return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.high, evidence, key: { label: "softnet drops", value: drops, unit: "packets" }, explanation: `no backlog drops, ${perS.toFixed(1)} squeezes/s` });
  },
};
