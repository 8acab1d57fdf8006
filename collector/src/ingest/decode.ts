// The first ingest step: frames from any receiver -> DecodedBatch, under the
// collector's limits (limits.ts). Then validate.ts, then the ingestor; nothing here calls
// validation. A thin layer over the fast codec (@eastwest/proto/wire): the
// only ingest module that imports it.
//
// A frame that is not valid protobuf throws DecodeError (tryDecode turns that
// into a value); value problems (no value, non-finite float, over-long
// strings) are collected in the batch for validation to report.
import { AgentMessage } from "@eastwest/proto";
import { capValue, errorMessage } from "@eastwest/common";
import { DEFAULT_LIMITS, LimitExceeded, type IngestLimits, type LimitName } from "./limits.ts";
import { agentMessageBatch, decodeBatch, DecodeError, type DecodedBatch } from "@eastwest/proto/wire";

export { DecodeError, parseShape, type DecodedBatch, type DecodeProblem, type Shape } from "@eastwest/proto/wire";

/** Fixed rules of validation; the configurable limits are in limits.ts. */
export const LIMITS = {
  maxFutureNs: 24n * 3600n * 1_000_000_000n,
  minTimeNs: 946_684_800n * 1_000_000_000n, // 2000-01-01
  maxReasons: 10,
};

/** Decodes a Batch message in buf[start, end) under the limits' string lengths; throws DecodeError on a malformed frame. */
export function decodeWithLimits(buf: Buffer, start?: number, end?: number, limits: IngestLimits = DEFAULT_LIMITS): DecodedBatch {
  return decodeBatch(buf, limits, start, end);
}

/** An AgentMessage as the receivers see it: a batch already decoded to samples, or hello / command result. */
export type Incoming = { $case: "batch"; value: DecodedBatch } | Exclude<AgentMessage["msg"], { $case: "batch" }>;

/**
 * Batches take the single-pass decoder; hello and command results the generated code. Throws on a malformed frame,
 * on a frame with more than one message, on one that the two decoders read as different messages, and with
 * LimitExceeded on a hello over maxHelloBytes.
 */
export function decodeAgentMessage(b: Buffer, limits: IngestLimits = DEFAULT_LIMITS): Incoming {
  const at = agentMessageBatch(b);
  if (at) return { $case: "batch", value: decodeWithLimits(b, at.start, at.end, limits) };
  if (b.length > limits.maxHelloBytes) throw new LimitExceeded("maxHelloBytes", `a ${b.length}-byte message that is not a batch, limit ${limits.maxHelloBytes}`);
  const msg = AgentMessage.decode(b).msg;
  // why: the generated decoder stops a nested message at a stray tag and reads on in its parent, where it may find
  // a batch the frame scan did not; such a frame has no single meaning, and its batch is not a DecodedBatch.
  if (msg?.$case === "batch") throw new DecodeError("frame read as a batch by the generated decoder only");
  return msg;
}

/** A refused frame carries its reason and, when it exceeded one, the limit. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; limit?: LimitName };

/** Runs a decoder; a frame it throws on is a value carrying the reason. */
export function tryDecode<T>(b: Buffer, fn: (b: Buffer) => T): Decoded<T> {
  try {
    return { ok: true, value: fn(b) };
  } catch (err) {
    if (err instanceof LimitExceeded) return { ok: false, reason: err.message, limit: err.limit };
    return { ok: false, reason: `undecodable frame (${b.length} bytes): ${capValue(errorMessage(err))}` };
  }
}
