// Retransmits and their cause: the share of the sender's segments retransmitted (iperf3's count, else the sender's
// RetransSegs delta, over TCP_INFO's data_segs_out of the data flow), and what TCP_INFO says limited the sender
// (tcp_chrono, Linux >= 4.10): the receiver's window (rwnd_limited), the send buffer (sndbuf_limited), or neither
// while data was queued — the congestion window or the path (busy time minus the two); lost segments name loss.
import type { FlowSnapshot } from "../../run/results.ts";
import { flowKind } from "../../run/flows.ts";
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ends, num, windowText } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Retransmitted share of data segments: at 1 % loss a Reno/CUBIC flow's rate falls well below the path's (Mathis et al. 1997: rate ~ MSS / (RTT sqrt(p))). */
const BOTTLENECK_SHARE = 0.01;
/** 0.1 %: visible in the rate at datacenter RTTs; below it retransmits are noise. */
const CONTRIBUTING_SHARE = 0.001;
/** A limit that held for half of the sender's busy time is the limit. */
const LIMITED_SHARE = 0.5;

const head = { id: "retransmits", title: "retransmits and what limited the sender (TCP_INFO)" };

const f = (x: FlowSnapshot, k: string) => num(x.fields?.[k]);

function dataFlow(flows: readonly FlowSnapshot[], runBytes: number): FlowSnapshot | undefined {
  const data = flows.filter((x) => flowKind(x, flows, runBytes) === "data");
  return data.sort((a, b) => (f(b, "data_segs_out_total") ?? 0) - (f(a, "data_segs_out_total") ?? 0))[0];
}

/** What limited the sender, from tcp_chrono: the largest share of busy time, named. */
function limit(x: FlowSnapshot): { what: string; share: number } | undefined {
  const busy = f(x, "busy_ns_total");
  if (busy === undefined || busy <= 0) return undefined;
  const rwnd = f(x, "rwnd_limited_ns_total") ?? 0;
  const sndbuf = f(x, "sndbuf_limited_ns_total") ?? 0;
  const parts = [
    { what: "receiver window (rwnd-limited)", share: rwnd / busy },
    { what: "send buffer (sndbuf-limited)", share: sndbuf / busy },
    { what: "congestion window or path (cwnd-limited: data queued, receiver window open)", share: Math.max(0, busy - rwnd - sndbuf) / busy },
  ];
  return parts.sort((a, b) => b.share - a.share)[0];
}

export const retransmits: Rule = {
  ...head,
  signals: ["record results.retransmits", "tcp_flow.{data_segs_out_total,retrans_total,lost,cwnd,busy_ns_total,rwnd_limited_ns_total,sndbuf_limited_ns_total}"],
  thresholds: [
    { name: "retransmitted share (bottleneck)", value: BOTTLENECK_SHARE, unit: "fraction", source: "Mathis et al. 1997: TCP rate ~ MSS/(RTT sqrt(p)); 1 % loss caps a flow far below a 10G path" },
    { name: "retransmitted share (contributing)", value: CONTRIBUTING_SHARE, unit: "fraction", source: "0.1 %: the order at which loss shows in a single stream's rate on a sub-ms RTT path" },
    { name: "limited share of busy time", value: LIMITED_SHARE, unit: "fraction", source: "tcp_chrono: a limit holding for half the busy time is the sender's main limit" },
  ],
  evaluate(input) {
    const r = input.record.results;
    const { sender } = ends(input.record);
    const retrans = num(r?.retransmits?.iperf3) ?? num(r?.retransmits?.sender_retrans_segs);
    const runBytes = num(r?.iperf3?.receiver_bytes) ?? 0;
    const flow = sender ? dataFlow(sender.flows ?? [], runBytes) : undefined;
    const w = windowText(input.samples, input.record);
    if (retrans === undefined) return cannotTell(head, "retransmit count", "iperf3 gave none (UDP?) and the sender has no tcp RetransSegs in the window");
    const segs = flow ? (f(flow, "data_segs_out_total") ?? f(flow, "segs_out_total")) : undefined;
    const lim = flow ? limit(flow) : undefined;
    const evidence = [
      ev("retransmits", retrans, "segments", r.retransmits.iperf3 !== null ? "record results.retransmits.iperf3" : "tcp.retrans_segs_total increase (sender)", "iperf3 test"),
      ev("data segments sent", segs ?? null, "", "tcp_flow.data_segs_out_total (sender, data flow)", w),
      ev("lost (TCP_INFO)", flow ? (f(flow, "lost") ?? null) : null, "segments", "tcp_flow.lost", w),
      ev("cwnd", flow ? (f(flow, "cwnd") ?? null) : null, "segments", "tcp_flow.cwnd", w),
      ev("limit", lim ? `${lim.what} ${(lim.share * 100).toFixed(0)} %` : null, "of busy time", "tcp_flow busy/rwnd_limited/sndbuf_limited_ns_total", w),
    ];
    if (!flow || segs === undefined || segs <= 0) {
      if (retrans === 0) return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.medium, evidence, key: { label: "retransmits", value: 0, unit: "" }, explanation: "no retransmits (TCP_INFO of the data flow unavailable: its limit is unknown)" });
      return cannotTell(head, "tcp_flow (TCP_INFO) of the data flow", "the sender's tcpinfo sampler saw no data flow in the window", evidence);
    }
    const share = retrans / segs;
    const key = { label: "retransmitted", value: share * 100, unit: "%" };
    const why = lim && lim.share >= LIMITED_SHARE ? `; the sender was limited by the ${lim.what} ${(lim.share * 100).toFixed(0)} % of its busy time` : "";
    const lost = f(flow, "lost");
    if (share >= CONTRIBUTING_SHARE) {
      const verdict = share >= BOTTLENECK_SHARE ? "bottleneck" : "contributing";
      return finding(head, {
        verdict, confidence: share >= BOTTLENECK_SHARE ? CONFIDENCE.high : CONFIDENCE.medium, end: "sender", evidence, key,
        explanation: `${(share * 100).toFixed(2)} % of data segments retransmitted (${retrans} of ${segs}${lost === undefined ? "" : `; ${lost} marked lost at the last TCP_INFO sample`})${why}: each loss cuts the congestion window`,
        next: cell("congestion-bbr", { congestion: "bbr" }, "a rate-based congestion control (BBR) does not halve on loss; if the rate rises, loss set the limit"),
      });
    }
    return finding(head, {
      verdict: "ruled out", confidence: CONFIDENCE.high, end: "sender", evidence, key,
      explanation: `${retrans} retransmits of ${segs} segments (${(share * 100).toFixed(3)} %)${why}`,
    });
  },
};
