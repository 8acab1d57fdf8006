// iperf3 -J output (client or server) as a typed summary. Pure: no I/O, no clock.
// Shapes follow iperf 3.x's JSON: start.{timestamp,test_start,connecting_to|accepted_connection},
// intervals[].{sum,sum_bidir_reverse}, end.{sum_sent,sum_received,*_bidir_reverse,cpu_utilization_percent}.
import { ParseError } from "@eastwest/common";

const SOURCE = "iperf3 JSON";

/** One end.sum_* or intervals[].sum* object. Times are seconds since the test started. */
export interface Iperf3Sum {
  startS: number;
  endS: number;
  seconds: number;
  bytes: number;
  bitsPerS: number;
  /** TCP sender side only; null where iperf3 reports none (receiver side, UDP). */
  retransmits: number | null;
  /** iperf3's `sender` flag: true when the reporting host sent these bytes; null when absent. */
  sender: boolean | null;
}

export interface Iperf3Interval extends Iperf3Sum {
  /** Inside the --omit warm-up. */
  omitted: boolean;
}

/** end.cpu_utilization_percent: host is the reporting side, remote the peer (0 on a server's own report). */
export interface Iperf3Cpu {
  hostTotalPct: number;
  hostUserPct: number;
  hostSystemPct: number;
  remoteTotalPct: number;
  remoteUserPct: number;
  remoteSystemPct: number;
}

/** UDP only: end.sum as seen by the receiver. */
export interface Iperf3Udp {
  jitterMs: number;
  lostPackets: number;
  packets: number;
  lostPercent: number;
}

/** The second direction of a --bidir test (server -> client). */
export interface Iperf3BidirReverse {
  sent: Iperf3Sum;
  received: Iperf3Sum;
  intervals: Iperf3Interval[];
}

export interface Iperf3Summary {
  version: string;
  /** From start.connecting_to (client) or start.accepted_connection (server). */
  role: "client" | "server" | "unknown";
  /** Shared by the client's and the server's report of one test; "" when absent. */
  cookie: string;
  /** start.timestamp.timesecs in Unix epoch nanoseconds (1 s resolution). */
  startNs: bigint;
  /** Requested test duration (test_start.duration), seconds. */
  durationS: number;
  /** "TCP", "UDP" or "SCTP". */
  protocol: string;
  streams: number;
  /** Bytes per write/read (test_start.blksize). */
  lengthBytes: number;
  reverse: boolean;
  bidir: boolean;
  senderCongestion: string | null;
  receiverCongestion: string | null;
  /** end.sum_sent: what the data sender reports; on a server's own report of a forward test, zeros. */
  sent: Iperf3Sum;
  /** end.sum_received: what the data receiver reports; the reference throughput. */
  received: Iperf3Sum;
  /** end.sum_sent.retransmits (TCP). */
  retransmits: number | null;
  cpu: Iperf3Cpu | null;
  /** intervals[].sum, in order. */
  intervals: Iperf3Interval[];
  udp: Iperf3Udp | null;
  bidirReverse: Iperf3BidirReverse | null;
}

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new ParseError(SOURCE, message);
}

function isObj(x: unknown): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function obj(x: unknown, path: string): Obj {
  return isObj(x) ? x : fail(`${path}: expected an object (got ${describe(x)})`);
}

function describe(x: unknown): string {
  if (x === undefined) return "nothing";
  if (x === null) return "null";
  return Array.isArray(x) ? "an array" : typeof x;
}

function num(x: unknown, path: string): number {
  return typeof x === "number" && Number.isFinite(x) ? x : fail(`${path}: expected a finite number (got ${describe(x)})`);
}

function optNum(x: unknown, path: string): number | null {
  return x === undefined || x === null ? null : num(x, path);
}

function optStr(x: unknown): string | null {
  return typeof x === "string" ? x : null;
}

function optBool(x: unknown): boolean | null {
  return typeof x === "boolean" ? x : null;
}

function sum(x: unknown, path: string): Iperf3Sum {
  const o = obj(x, path);
  return {
    startS: num(o.start, `${path}.start`),
    endS: num(o.end, `${path}.end`),
    seconds: num(o.seconds, `${path}.seconds`),
    bytes: num(o.bytes, `${path}.bytes`),
    bitsPerS: num(o.bits_per_second, `${path}.bits_per_second`),
    retransmits: optNum(o.retransmits, `${path}.retransmits`),
    sender: optBool(o.sender),
  };
}

function intervals(x: unknown, key: "sum" | "sum_bidir_reverse"): Iperf3Interval[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) fail(`intervals: expected an array (got ${describe(x)})`);
  const out: Iperf3Interval[] = [];
  x.forEach((iv, i) => {
    const o = obj(iv, `intervals[${i}]`);
    if (o[key] === undefined) return;
    const s = obj(o[key], `intervals[${i}].${key}`);
    out.push({ ...sum(s, `intervals[${i}].${key}`), omitted: s.omitted === true });
  });
  return out;
}

function cpu(x: unknown): Iperf3Cpu | null {
  if (x === undefined) return null;
  const o = obj(x, "end.cpu_utilization_percent");
  const p = (k: string) => num(o[k], `end.cpu_utilization_percent.${k}`);
  return {
    hostTotalPct: p("host_total"),
    hostUserPct: p("host_user"),
    hostSystemPct: p("host_system"),
    remoteTotalPct: p("remote_total"),
    remoteUserPct: p("remote_user"),
    remoteSystemPct: p("remote_system"),
  };
}

function udp(end: Obj, protocol: string): Iperf3Udp | null {
  if (protocol !== "UDP") return null;
  const src = end.sum ?? end.sum_received;
  if (src === undefined) return null;
  const o = obj(src, "end.sum");
  return {
    jitterMs: num(o.jitter_ms, "end.sum.jitter_ms"),
    lostPackets: num(o.lost_packets, "end.sum.lost_packets"),
    packets: num(o.packets, "end.sum.packets"),
    lostPercent: num(o.lost_percent, "end.sum.lost_percent"),
  };
}

/** end.sum_sent / end.sum_received; iperf3 before 3.10 reported UDP in end.sum only. */
function totals(end: Obj): { sent: Iperf3Sum; received: Iperf3Sum } {
  const sent = end.sum_sent ?? end.sum;
  const received = end.sum_received ?? end.sum;
  if (sent === undefined || received === undefined) fail("end has no sum_sent / sum_received: the test did not finish");
  return { sent: sum(sent, "end.sum_sent"), received: sum(received, "end.sum_received") };
}

function bidirReverse(end: Obj, ivs: unknown): Iperf3BidirReverse | null {
  if (end.sum_sent_bidir_reverse === undefined && end.sum_received_bidir_reverse === undefined) return null;
  return {
    sent: sum(end.sum_sent_bidir_reverse, "end.sum_sent_bidir_reverse"),
    received: sum(end.sum_received_bidir_reverse, "end.sum_received_bidir_reverse"),
    intervals: intervals(ivs, "sum_bidir_reverse"),
  };
}

function role(start: Obj): Iperf3Summary["role"] {
  if (start.connecting_to !== undefined) return "client";
  if (start.accepted_connection !== undefined) return "server";
  return "unknown";
}

/** JSON text or an already parsed value -> the top-level object; garbage or truncation -> ParseError. */
function topLevel(input: unknown): Obj {
  if (typeof input !== "string") return obj(input, "top level");
  if (input.trim() === "") fail("empty output");
  let doc: unknown;
  try {
    doc = JSON.parse(input);
  } catch (err) {
    fail(`not valid JSON (garbage or truncated output, ${input.length} chars): ${(err as Error).message}`);
  }
  return obj(doc, "top level");
}

function startNs(start: Obj): bigint {
  const secs = num(obj(start.timestamp, "start.timestamp").timesecs, "start.timestamp.timesecs");
  if (!Number.isInteger(secs) || secs < 0) fail(`start.timestamp.timesecs: expected whole seconds >= 0 (got ${secs})`);
  return BigInt(secs) * 1_000_000_000n;
}

/**
 * Parses iperf3 -J output. Throws ParseError for garbage or truncated JSON, for a report carrying iperf3's
 * own `error` (the message includes it), and for a report missing the parts a finished test always has.
 */
export function parseIperf3(input: unknown): Iperf3Summary {
  const doc = topLevel(input);
  if (typeof doc.error === "string") fail(`iperf3 reported an error: ${doc.error}`);
  const start = obj(doc.start, "start");
  const end = obj(doc.end, "end");
  const ts = obj(start.test_start, "start.test_start");
  const protocol = typeof ts.protocol === "string" ? ts.protocol : fail("start.test_start.protocol: expected a string");
  const { sent, received } = totals(end);
  const reverse = bidirReverse(end, doc.intervals);
  return {
    version: optStr(start.version) ?? "",
    role: role(start),
    cookie: optStr(start.cookie) ?? "",
    startNs: startNs(start),
    durationS: num(ts.duration, "start.test_start.duration"),
    protocol,
    streams: num(ts.num_streams, "start.test_start.num_streams"),
    lengthBytes: num(ts.blksize, "start.test_start.blksize"),
    reverse: num(ts.reverse ?? 0, "start.test_start.reverse") !== 0,
    bidir: reverse !== null || ts.bidir === 1,
    senderCongestion: optStr(end.sender_tcp_congestion),
    receiverCongestion: optStr(end.receiver_tcp_congestion),
    sent,
    received,
    retransmits: sent.retransmits,
    cpu: cpu(end.cpu_utilization_percent),
    intervals: intervals(doc.intervals, "sum"),
    udp: udp(end, protocol),
    bidirReverse: reverse,
  };
}
