// The cost model's reading of a run, per packet of constants.packet_bytes (64 KiB in the study). Pure.
import { breakdown, ceiling, efficiency, type ModelConstants, type Observed } from "../model/cost-model.ts";
import { fmtInt } from "../model/format.ts";
import type { MeasuredTerms } from "../model/measured.ts";
import type { RunModel } from "./results.ts";

/** Why the exit term is 0 when the run gives no reason of its own. */
export const NO_EXIT_SOURCE = "no VM with KVM exit counters carries this run";

/** VM exits counted over the run window on the VMs that carry the flow. */
export interface ExitObservation {
  /** Exits counted in the window (sum over the VMs). */
  exits: number;
  /** Payload bytes the run moved (iperf3 receiver bytes). */
  payloadBytes: number;
  /** e.g. "QMP query-stats exits on vm guest-a (host hv1) + vm guest-b". */
  source: string;
  /** Why there is no count (e.g. "tcg: no KVM exits (vm a, b)"): `exits` is then not used. */
  missing?: string;
}

export interface RunModelInput {
  /** iperf3 receiver throughput, bits/s (the reference). */
  receiverBitsPerS: number;
  /** Bytes per write/read (iperf3's blksize, else the spec's --length); 0 or less: unknown. */
  lengthBytes: number;
  constants: ModelConstants;
  /** Observed VM exits, when a source exists; else the exit term is 0 with the reason. */
  exits?: ExitObservation;
  /** Memory traffic per payload byte (host memory-bandwidth counters), when measured: drives the copies term. */
  bytesMoved?: { perPayloadByte: number; source: string };
  /** CPU time per packet per term from the run's profiles; copies and syscalls then come from it. */
  measured?: MeasuredTerms;
  /** "measured", or "unavailable: <reason>" (why the counts below are the model's or derived). */
  profileStatus?: string;
}

function usable(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

/**
 * Syscalls per packet from the message length: each packet of S bytes takes S / length writes on the sender
 * and as many reads on the receiver (a lower bound: a read may return less than length).
 */
function syscalls(packet: number, length: number): { count: number; how: string } | undefined {
  if (!usable(packet) || !usable(length)) return undefined;
  const each = packet / length;
  if (!Number.isFinite(2 * each)) return undefined;
  const how =
    `derived from the message length: ${fmtInt(packet)} B / ${fmtInt(length)} B per call = ` +
    `${Number(each.toFixed(3))} writes on the sender + the same reads on the receiver`;
  return { count: 2 * each, how };
}

/** Observed counts per packet, each with how it was obtained; notes for what is missing. */
export function observedCounts(input: RunModelInput, warn: (s: string) => void): { observed: Observed; derivations: Record<string, string> } {
  const packet = input.constants.packet_bytes;
  const none = input.exits?.missing ?? NO_EXIT_SOURCE;
  const observed: Observed = { exit_source: none };
  if (Number.isFinite(input.receiverBitsPerS)) observed.bytes_per_s = input.receiverBitsPerS / 8;
  if (usable(packet)) observed.bytes_per_packet = packet;
  const derivations: Record<string, string> = {
    bytes_per_s: "iperf3 receiver throughput (end.sum_received) / 8",
    bytes_per_packet: usable(packet) ? `the model's packet size: figures are per ${fmtInt(packet)} B packet` : "none: the model's packet_bytes is not usable",
    exits_per_packet: `none: ${none}`,
    copies_per_packet: "none: the model's count is used",
    bytes_moved_per_payload_byte: "none: no memory-bandwidth counter on the run's hosts (membw sampler unavailable or no host agent)",
  };
  const ex = input.exits;
  const packets = ex && usable(packet) && usable(ex.payloadBytes) ? ex.payloadBytes / packet : 0;
  if (ex && ex.missing === undefined && packets > 0 && Number.isFinite(ex.exits) && ex.exits >= 0) {
    observed.exits_per_packet = ex.exits / packets;
    observed.exit_source = ex.source;
    derivations.exits_per_packet = `observed: ${fmtInt(ex.exits)} exits / ${Number(packets.toFixed(1))} packets of ${fmtInt(packet)} B (${ex.source})`;
  }
  const bm = input.bytesMoved;
  if (bm && Number.isFinite(bm.perPayloadByte) && bm.perPayloadByte >= 0) {
    observed.bytes_moved_per_payload_byte = bm.perPayloadByte;
    derivations.bytes_moved_per_payload_byte = `observed: ${bm.perPayloadByte.toFixed(2)} bytes of memory traffic per payload byte (${bm.source})`;
  }
  if (input.measured !== undefined) {
    observed.measured = input.measured;
    const m = input.measured.us;
    derivations.copies_per_packet = `measured: ${(m.copies ?? 0).toFixed(2)} us of copies per packet (${input.measured.source})`;
    derivations.measured_terms = `measured: ${input.measured.cpu_per_packet_us.toFixed(2)} us of CPU per packet at the profiled ends (${input.measured.source})`;
  } else if (input.profileStatus !== undefined) {
    derivations.measured_terms = input.profileStatus;
    derivations.copies_per_packet = `none: the model's count is used (profile ${input.profileStatus})`;
  }
  const sc = syscalls(packet, input.lengthBytes);
  if (sc === undefined) {
    derivations.syscalls_per_packet = "none: message length unknown, the model's count is used";
    warn("iperf3 message length unknown: syscalls per packet taken from the model");
  } else {
    observed.syscalls_per_packet = sc.count;
    observed.derived = ["syscalls"];
    derivations.syscalls_per_packet = input.measured?.us.syscalls !== undefined ? `measured: ${input.measured.us.syscalls.toFixed(2)} us per packet (${input.measured.source}); count ${sc.how}` : sc.how;
  }
  return { observed, derivations };
}

/** Breakdown, ceiling and efficiency of a run; the breakdown's notes become warnings. */
export function runModel(input: RunModelInput, warn: (s: string) => void): RunModel {
  const { observed, derivations } = observedCounts(input, warn);
  const b = breakdown(input.constants, observed);
  const ceil = ceiling(input.constants);
  for (const n of b.notes) warn(`model: ${n}`);
  const gbit = input.receiverBitsPerS / 1e9;
  const measuredGbitS = Number.isFinite(gbit) && gbit >= 0 ? gbit : null;
  return {
    model_version: b.model_version,
    constants: b.constants,
    observed,
    derivations,
    breakdown: b,
    ceiling: ceil,
    measured_gbit_s: measuredGbitS,
    efficiency: measuredGbitS === null ? null : efficiency(measuredGbitS, ceil),
  };
}
