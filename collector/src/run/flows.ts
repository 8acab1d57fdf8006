// Which of a run's TCP flows carried its data. iperf3 opens a control connection to the same port before the
// data streams; it carries a few kilobytes of parameters and results, no bulk data, so it is labelled "control"
// rather than listed as a flow of the run. Pure.
import type { FlowSnapshot } from "./results.ts";

export type FlowKind = "data" | "control";

/** Below this many bytes a flow can be a control connection (iperf3's exchanges a few kB). */
export const CONTROL_MAX_BYTES = 1 << 20;
/** ... and only when the run moved at least this many times more. */
const CONTROL_RATIO = 100;

function num(v: unknown): number | null {
  if (typeof v === "bigint") return Number(v);
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Bytes the flow moved in either direction (TCP_INFO bytes_acked, bytes_received, bytes_sent); null: none known. */
export function flowBytes(f: FlowSnapshot): number | null {
  const vals = ["acked_bytes_total", "received_bytes_total", "sent_bytes_total"].map((k) => num(f.fields[k])).filter((x): x is number => x !== null);
  return vals.length === 0 ? null : Math.max(...vals);
}

/**
 * "control" for a flow that moved under CONTROL_MAX_BYTES while the run moved at least 100 times more (the largest
 * flow, or runBytes: the run's payload); "data" otherwise, and whenever its bytes are unknown.
 */
export function flowKind(f: FlowSnapshot, all: readonly FlowSnapshot[], runBytes = 0): FlowKind {
  const b = flowBytes(f);
  if (b === null || b >= CONTROL_MAX_BYTES) return "data";
  const largest = Math.max(Number.isFinite(runBytes) ? runBytes : 0, ...all.map((x) => flowBytes(x) ?? 0));
  return largest >= CONTROL_RATIO * Math.max(b, 1) ? "control" : "data";
}
