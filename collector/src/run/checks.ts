// Consistency checks between a run's spec, its window and iperf3's reports, as plain-language warnings. Pure.
import type { Iperf3Summary } from "./iperf3.parse.ts";
import type { Direction, EndpointResults, Side } from "./results.ts";
import type { RunSpec, Window } from "./types.ts";

type Warn = (note: string) => void;

const SECOND = 1_000_000_000n;

/** Difference of a ratio from 1: signed whole percent up to 10x (1.07 -> "+7 %"), beyond that a factor ("250x"). */
export function pctDiff(ratio: number): string {
  if (ratio > 10) return `${Number(ratio.toPrecision(3))}x`;
  const p = Math.round((ratio - 1) * 100);
  return `${p > 0 ? "+" : ""}${p} %`;
}

/** Direction of the reference data and the end that sent it; iperf3's own flags win over the spec. */
export function directionOf(spec: RunSpec, iperf: Iperf3Summary, warn: Warn): { direction: Direction; sender: Side } {
  if (spec.reverse !== iperf.reverse) {
    warn(`spec says reverse=${spec.reverse} but iperf3 ran with reverse=${iperf.reverse}; following iperf3`);
  }
  if (iperf.bidir) {
    warn("bidir test: the client -> server direction is the reference; netdev counters carry both directions");
    return { direction: "bidir", sender: "client" };
  }
  return iperf.reverse ? { direction: "reverse", sender: "server" } : { direction: "forward", sender: "client" };
}

export function checkWindow(w: Window, iperf: Iperf3Summary, warn: Warn): void {
  if (w.toNs <= w.fromNs) {
    warn(`the run window is empty (ends at or before it starts): no counter figures`);
    return;
  }
  // timesecs is whole seconds, floored: allow one second before the window.
  if (iperf.startNs + SECOND < w.fromNs || iperf.startNs > w.toNs) warn("iperf3 started outside the run window: counters and iperf3 describe different times");
  const windowS = Number(w.toNs - w.fromNs) / 1e9;
  if (iperf.durationS > 0 && windowS < iperf.durationS * 0.9) {
    warn(`the run window (${windowS.toFixed(1)} s) is shorter than iperf3's ${iperf.durationS} s test: counters cover part of it`);
  }
}

export function checkSpec(spec: RunSpec, iperf: Iperf3Summary, warn: Warn): void {
  if (iperf.role === "server") warn("the client's iperf3 report is a server's (it has accepted_connection)");
  if (iperf.protocol !== "TCP") warn(`protocol ${iperf.protocol}: the per-packet cost model describes TCP bulk transfer`);
  if (spec.streams > 0 && spec.streams !== iperf.streams) warn(`spec asked for ${spec.streams} stream(s), iperf3 ran ${iperf.streams}`);
  if (spec.durationS > 0 && spec.durationS !== iperf.durationS) warn(`spec asked for ${spec.durationS} s, iperf3 ran ${iperf.durationS} s`);
  if (spec.lengthBytes > 0 && spec.lengthBytes !== iperf.lengthBytes) warn(`spec asked for ${spec.lengthBytes} B writes, iperf3 used ${iperf.lengthBytes} B`);
  const cc = iperf.senderCongestion;
  if (spec.congestion !== "" && cc !== null && cc !== spec.congestion) warn(`spec asked for congestion control ${spec.congestion}, iperf3 reports ${cc}`);
}

/** The server's own report should describe the same test and the same bytes; false when absent or another test's. */
export function checkServerReport(client: Iperf3Summary, server: Iperf3Summary | null, warn: Warn): boolean {
  if (server === null) return false;
  if (client.cookie !== "" && server.cookie !== "" && client.cookie !== server.cookie) {
    warn("the server's iperf3 report belongs to another test (cookie differs): ignored");
    return false;
  }
  const fromServer = client.reverse ? server.sent.bytes : server.received.bytes;
  const fromClient = client.reverse ? client.sent.bytes : client.received.bytes;
  if (fromClient > 0 && Math.abs(fromServer / fromClient - 1) > 0.01) {
    warn(`the server's iperf3 report counts ${fromServer} B, the client's ${fromClient} B`);
  }
  return true;
}

/**
 * iperf3's bytes sent over its receiver's bytes read (>= 1), or null when either is unknown. Above 1 the receiving
 * application was behind when the test ended: those bytes crossed the wire (netdev counted them) but were never read.
 */
export function sentOverRead(iperf: Iperf3Summary): number | null {
  const { sent, received } = iperf;
  if (!(sent.bytes > 0 && received.bytes > 0)) return null;
  return Math.max(1, sent.bytes / received.bytes);
}

/**
 * netdev against iperf3: disagreement beyond `tolerance` (fraction) and sample spans much shorter than the window.
 * `unread` (sentOverRead) names the usual cause of a high reading: data sent but not yet read by the receiving
 * iperf3 when the test ended (a starved receiver leaves megabytes in its socket buffer).
 */
export function checkNetdev(e: EndpointResults, agreement: number | null, windowS: number, warn: Warn, unread: number | null = null, tolerance = 0.05): void {
  const rates = e.netdev;
  if (rates.interface === null) return;
  const where = `${e.side} agent ${e.agent_id} (${rates.interface} ${rates.direction})`;
  if (agreement !== null && Math.abs(agreement - 1) > tolerance) {
    const againstSent = unread !== null && unread > 1 ? agreement / unread : null;
    // netdev between what the receiver read and what the sender wrote: the rest was in flight when the test ended
    if (agreement > 1 && againstSent !== null && againstSent <= 1 + tolerance) {
      warn(`netdev throughput at ${where} is ${pctDiff(agreement)} against iperf3's receiver, ${pctDiff(againstSent)} against its sender: iperf3 sent ${pctDiff(unread!)} more than its receiver read (still in the receiver's socket buffer when the test ended)`);
    } else warn(`netdev throughput at ${where} differs from iperf3 by ${pctDiff(agreement)}`);
  }
  const span = rates.bytes?.seconds;
  if (span !== undefined && windowS > 0 && span < windowS * 0.5) {
    warn(`netdev samples at ${where} span ${span.toFixed(1)} s of the ${windowS.toFixed(1)} s window`);
  }
}
