// What a sink is made of: a codec (stored points -> requests, pure) and the HTTP delivery (http.ts), driven by the
// forwarder (forwarder.ts) from the store's point log. Outcomes are values, never exceptions.
import type { LogPoint } from "../store/point-log.ts";

/** One request body for the receiver. */
export interface SinkRequest {
  body: Uint8Array;
  /** Samples (one per numeric field with a name) it carries. */
  samples: number;
}

/** Turns stored points into requests; points the target has no name for are left out. Pure. */
export interface SinkCodec {
  /** Content-Type and protocol headers of every request. */
  readonly headers: Readonly<Record<string, string>>;
  encode(points: readonly LogPoint[]): SinkRequest[];
}

/**
 * A delivery attempt: ok (2xx); retryable (connection failed, timeout, 429, 5xx; afterMs from Retry-After when
 * the receiver gave one); rejected (any other status: resending the same request never helps).
 */
export type SendOutcome = { kind: "ok"; status: number } | { kind: "retryable"; reason: string; afterMs?: number } | { kind: "rejected"; status: number; reason: string };
