// A shaping qdisc on the run's path: a root tbf, htb, hfsc or cbq on either end's interface (netstate's qdisc tag)
// caps the rate by design; its configured rate is not in netstate, so the finding cites the qdisc and what TCP_INFO
// and the measured rate show. tbf also splits GSO packets larger than its burst (tbf_segment), so the packets shrink.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ifaceState } from "../netstate.ts";
import { ends, num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Root qdiscs that limit a rate by configuration (Linux sch_tbf, sch_htb, sch_hfsc, sch_cbq). */
export const SHAPERS: readonly string[] = ["tbf", "htb", "hfsc", "cbq"];

const head = { id: "qdisc-shaper", title: "rate-limiting qdisc on the path" };

export const qdiscShaper: Rule = {
  ...head,
  signals: ["netstate qdisc tag (run's interfaces)"],
  thresholds: [{ name: "shaping qdisc kinds", value: SHAPERS.length, unit: "kinds", source: `root qdisc ${SHAPERS.join(", ")}: rate set by configuration` }],
  evaluate(input) {
    const { sender, receiver, senderSide, receiverSide } = ends(input.record);
    const st = [
      { role: "sender" as const, s: ifaceState(input.samples, senderSide, sender?.netdev?.interface) },
      { role: "receiver" as const, s: ifaceState(input.samples, receiverSide, receiver?.netdev?.interface) },
    ];
    if (st.every((x) => !x.s)) return cannotTell(head, "netstate (qdisc)", !input.samples ? "no samples were given to the diagnosis (the record alone)" : input.samples.missing ?? "no netstate row of the run's interfaces up to the window's end");
    const evidence = st.filter((x) => x.s).map((x) => ev(`${x.role} ${x.s?.iface} root qdisc`, x.s?.qdisc || "(none reported)", "", "netstate tag qdisc", "snapshot at or before the window's end"));
    const gbit = num(input.record.results?.throughput?.iperf3_receiver_gbit_s);
    evidence.push(ev("measured throughput", gbit ?? null, "Gbit/s", "record results.throughput.iperf3_receiver_gbit_s", "iperf3 test"));
    const shaped = st.find((x) => x.s && SHAPERS.includes(x.s.qdisc));
    if (!shaped || !shaped.s) return finding(head, { verdict: "ruled out", confidence: st.every((x) => x.s) ? CONFIDENCE.high : CONFIDENCE.medium, evidence, explanation: `no shaping qdisc on the run's interfaces (${st.map((x) => `${x.role} ${x.s?.qdisc || "?"}`).join(", ")})` });
    return finding(head, {
      verdict: "bottleneck", confidence: CONFIDENCE.medium, end: shaped.role, evidence, key: { label: `${shaped.role} qdisc ${shaped.s.qdisc}`, value: gbit ?? null, unit: "Gbit/s" },
      explanation: `a ${shaped.s.qdisc} qdisc on the ${shaped.role}'s ${shaped.s.iface} shapes the traffic: the run's ${gbit === undefined ? "rate" : `${gbit.toFixed(2)} Gbit/s`} is its configured rate, not the path's`,
      next: cell("qdisc-pfifo", { qdisc: "pfifo" }, "the same run with a plain FIFO root qdisc shows the unshaped rate", shaped.role === "sender" ? senderSide : receiverSide),
    });
  },
};
