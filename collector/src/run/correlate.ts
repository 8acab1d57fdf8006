// Correlation of one run: iperf3's report against both agents' counters over the run window, read through the
// cost model. Pure: no I/O, no clock. The result holds no NaN or Infinity and serialises with common's toJson.
import type { ModelConstants } from "../model/cost-model.ts";
import { checkNetdev, checkServerReport, checkSpec, checkWindow, directionOf, sentOverRead } from "./checks.ts";
import { endpointResults } from "./endpoint.ts";
import { scrubNonFinite } from "./finite.ts";
import type { Iperf3Summary } from "./iperf3.parse.ts";
import { isLoopbackAddress } from "./netdev.ts";
import type { EndpointResults, Iperf3Results, RetransmitResults, RunResults, Side, ThroughputResults } from "./results.ts";
import { runModel } from "./run-model.ts";
import { measuredTerms } from "./profile.ts";
import type { RunProfiles } from "./profile-run.ts";
import { ratio, type ReadCtx } from "./series.ts";
import type { EndpointData, RunSpec, Window } from "./types.ts";

export interface CorrelateInput {
  spec: RunSpec;
  window: Window;
  /** The client's iperf3 -J report (parseIperf3). */
  iperf: Iperf3Summary;
  /** VM exits over the window on the VMs carrying the run (see runner's exitObservation). */
  exits?: { exits: number; source: string };
  /** Host memory traffic per payload byte over the window (membw sampler), when measured. */
  bytesMoved?: { perPayloadByte: number; source: string };
  /** The run's CPU profiles read into per-end terms (profile-run.ts), when asked for. */
  profile?: RunProfiles;
  /** The server's own report, when captured: checked against the client's. */
  iperfServer?: Iperf3Summary;
  server: EndpointData;
  client: EndpointData;
  constants: ModelConstants;
}

type Warn = (note: string) => void;

function endpoint(input: CorrelateInput, side: Side, sender: Side, loopback: boolean, warn: Warn): EndpointResults {
  const data = input[side];
  const spec = input.spec[side];
  if (spec.agentId !== "" && spec.agentId !== data.agentId) warn(`spec names ${spec.agentId} as the ${side}, but its data is from ${data.agentId}`);
  const ctx: ReadCtx = { w: input.window, warn, who: `${side} agent ${data.agentId}`, activeS: activeSeconds(input.iperf) };
  return endpointResults({ side, role: side === sender ? "sender" : "receiver", spec, data, loopback }, ctx);
}

/** iperf3's measured test time (the receiver's), else the requested duration; undefined when neither is > 0. */
function activeSeconds(iperf: Iperf3Summary): number | undefined {
  if (iperf.received.seconds > 0) return iperf.received.seconds;
  return iperf.durationS > 0 ? iperf.durationS : undefined;
}

function throughput(iperf: Iperf3Summary, senderEnd: EndpointResults, receiverEnd: EndpointResults): ThroughputResults {
  const reference = iperf.received.bitsPerS;
  const tx = senderEnd.netdev.bits_per_s;
  const rx = receiverEnd.netdev.bits_per_s;
  return {
    iperf3_receiver_bits_per_s: reference,
    iperf3_receiver_gbit_s: reference / 1e9,
    iperf3_sender_bits_per_s: iperf.sent.bitsPerS,
    netdev_sender_bits_per_s: tx,
    netdev_receiver_bits_per_s: rx,
    sender_agreement: ratio(tx, reference),
    receiver_agreement: ratio(rx, reference),
  };
}

function retransmits(iperf: Iperf3Summary, senderEnd: EndpointResults): RetransmitResults {
  return { iperf3: iperf.retransmits, sender_retrans_segs: senderEnd.retrans_segs?.delta ?? null };
}

/** cpu_utilization_percent.host_total of the report's own end, remote_total of the peer. */
function iperfCpu(client: Iperf3Summary, server: Iperf3Summary | null, sameTest: boolean): { server: number | null; client: number | null } {
  const own = sameTest ? (server?.cpu?.hostTotalPct ?? null) : null;
  return { client: client.cpu?.hostTotalPct ?? null, server: own ?? client.cpu?.remoteTotalPct ?? null };
}

function iperf3Results(client: Iperf3Summary, server: Iperf3Summary | null, sameTest: boolean): Iperf3Results {
  const cpu = iperfCpu(client, server, sameTest);
  return {
    start_ns: client.startNs,
    duration_s: client.durationS,
    protocol: client.protocol,
    streams: client.streams,
    length_bytes: client.lengthBytes,
    reverse: client.reverse,
    bidir: client.bidir,
    sender_congestion: client.senderCongestion,
    receiver_congestion: client.receiverCongestion,
    sender_bytes: client.sent.bytes,
    sender_bits_per_s: client.sent.bitsPerS,
    receiver_bytes: client.received.bytes,
    receiver_bits_per_s: client.received.bitsPerS,
    retransmits: client.retransmits,
    server_cpu_pct: cpu.server,
    client_cpu_pct: cpu.client,
    bidir_reverse_bits_per_s: client.bidirReverse?.received.bitsPerS ?? null,
    server_report: sameTest,
  };
}

/** Bytes per write/read: iperf3's blksize, else the spec's --length; 0 when neither is known. */
function lengthOf(iperf: Iperf3Summary, spec: RunSpec): number {
  if (iperf.lengthBytes > 0) return iperf.lengthBytes;
  return spec.lengthBytes > 0 ? spec.lengthBytes : 0;
}

/** The run's results; every figure that cannot be computed is null, with a warning saying why. */
export function correlate(input: CorrelateInput): RunResults {
  const warnings: string[] = [];
  const warn: Warn = (note) => {
    if (!warnings.includes(note)) warnings.push(note);
  };
  const { iperf, window } = input;
  const spec = structuredClone(input.spec);
  const iperfServer = input.iperfServer ?? null;
  checkWindow(window, iperf, warn);
  checkSpec(spec, iperf, warn);
  const sameTest = checkServerReport(iperf, iperfServer, warn);
  const { direction, sender } = directionOf(spec, iperf, warn);
  const loopback = isLoopbackAddress(spec.serverAddress);
  const server = endpoint(input, "server", sender, loopback, warn);
  const client = endpoint(input, "client", sender, loopback, warn);
  const [senderEnd, receiverEnd] = sender === "server" ? [server, client] : [client, server];
  const windowS = window.toNs > window.fromNs ? Number(window.toNs - window.fromNs) / 1e9 : 0;
  const tp = throughput(iperf, senderEnd, receiverEnd);
  const unread = sentOverRead(iperf);
  checkNetdev(senderEnd, tp.sender_agreement, windowS, warn, unread);
  checkNetdev(receiverEnd, tp.receiver_agreement, windowS, warn, unread);
  const exits = input.exits ? { ...input.exits, payloadBytes: iperf.received.bytes } : undefined;
  const measured = input.profile === undefined ? undefined : measuredTerms(input.profile.ends);
  const profileStatus = input.profile === undefined ? "unavailable: no profile asked for" : measured === undefined ? (input.profile.ends.find((e) => e.status !== "measured")?.status ?? "unavailable") : "measured";
  const model = runModel({ receiverBitsPerS: iperf.received.bitsPerS, lengthBytes: lengthOf(iperf, spec), constants: input.constants, exits, bytesMoved: input.bytesMoved, measured, profileStatus }, warn);
  const result: RunResults = {
    run_id: spec.id,
    spec,
    window: { fromNs: window.fromNs, toNs: window.toNs },
    window_s: windowS,
    direction,
    sender,
    iperf3: iperf3Results(iperf, iperfServer, sameTest),
    throughput: tp,
    server,
    client,
    retransmits: retransmits(iperf, senderEnd),
    model,
    profile: input.profile === undefined ? null : { ends: input.profile.ends, machines: input.profile.machines },
    warnings,
  };
  for (const path of scrubNonFinite(result)) warn(`${path} was not a finite number: shown as null`);
  return result;
}
