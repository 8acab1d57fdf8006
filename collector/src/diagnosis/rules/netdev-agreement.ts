// netdev and iperf3 disagreeing: the run's interface counters against iperf3's receiver figure at each end. They
// should agree within the headers' share (about 4.6 % at MTU 1500: 66 B of TCP/IP/Ethernet per 1448 B); a larger
// gap is a measurement problem (wrong interface, samples missing the window, other traffic), not a network one.
import { cannotTell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** netdev / iperf3: below it netdev missed traffic. */
const LOW = 0.9;
/** Above it, more than headers: other traffic or the wrong interface. (1.15: headers at a small MTU plus window edges.) */
const HIGH = 1.15;

/** iperf3's bytes sent over bytes read by its receiver (1 when unknown). */
function unreadShare(i: { sender_bytes?: unknown; receiver_bytes?: unknown } | null | undefined): number {
  const sent = num(i?.sender_bytes);
  const read = num(i?.receiver_bytes);
  return sent !== undefined && read !== undefined && sent > 0 && read > 0 ? Math.max(1, sent / read) : 1;
}

const head = { id: "netdev-agreement", title: "netdev and iperf3 disagree (a measurement problem)" };

export const netdevAgreement: Rule = {
  ...head,
  signals: ["record results.throughput.{sender,receiver}_agreement (netdev / iperf3 receiver)"],
  thresholds: [
    { name: "low agreement", value: LOW, unit: "netdev / iperf3", source: "10 % below iperf3: the counters missed part of the run" },
    { name: "high agreement", value: HIGH, unit: "netdev / iperf3", source: "headers add ~4.6 % at MTU 1500; 15 % allows for window edges" },
  ],
  evaluate(input) {
    const tp = input.record.results?.throughput;
    const figs = [
      { role: "sender" as const, a: num(tp?.sender_agreement) },
      { role: "receiver" as const, a: num(tp?.receiver_agreement) },
    ];
    const evidence = figs.map((f) => ev(`${f.role} netdev / iperf3`, f.a ?? null, "", `record results.throughput.${f.role}_agreement`, "run window"));
    const known = figs.filter((f): f is typeof f & { a: number } => f.a !== undefined);
    if (known.length === 0) return cannotTell(head, "netdev rates", "no netdev rate at either end (see the run's warnings)", evidence);
    // why: netdev counts what crossed the wire, iperf3's receiver what it read; a receiver behind at the end leaves
    // the difference in its socket buffer (measured on loaded TCG guests: up to 3.4 %, netdev within 0.13 % of the bytes sent).
    const unread = unreadShare(input.record.results?.iperf3);
    if (unread > 1) evidence.push(ev("iperf3 sent / read", unread, "", "record results.iperf3.sender_bytes / receiver_bytes", "run"));
    const fits = (a: number) => (a >= LOW && a <= HIGH) || (a / unread >= LOW && a / unread <= HIGH);
    const off = known.filter((f) => !fits(f.a)).sort((x, y) => Math.abs(y.a - 1) - Math.abs(x.a - 1))[0];
    if (!off) {
      const behind = known.some((f) => f.a > HIGH) ? `; the receiving iperf3 had ${((unread - 1) * 100).toFixed(1)} % of the bytes sent still unread when the test ended` : "";
      return finding(head, { verdict: "ruled out", confidence: known.length === 2 ? CONFIDENCE.high : CONFIDENCE.medium, evidence, key: { label: "largest gap", value: Math.max(...known.map((f) => Math.abs(f.a - 1) * 100)), unit: "%" }, explanation: `netdev agrees with iperf3 at ${known.map((f) => `the ${f.role} (${((f.a - 1) * 100).toFixed(1)} %)`).join(" and ")}${behind}` });
    }
    const pct = (off.a - 1) * 100;
    return finding(head, {
      verdict: "contributing", confidence: CONFIDENCE.high, end: off.role, evidence, key: { label: `${off.role} netdev vs iperf3`, value: pct, unit: "%" },
      explanation: `measurement problem, not a network one: the ${off.role}'s interface counted ${pct > 0 ? "+" : ""}${pct.toFixed(0)} % against iperf3 (${off.a < LOW ? "it missed part of the run: samples or interface" : "other traffic or the wrong interface"}); the other findings' netdev figures are suspect`,
    });
  },
};
