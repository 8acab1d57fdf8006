// A receiver takes agents' frames over one transport (gRPC, NATS JetStream)
// into the ingest pipeline (decode.ts -> ingestor: validate -> store -> ack),
// answers their hellos, and gives the control plane (control/sessions.ts) a
// Session for each agent that said hello. receivers.ts lists the kinds.
//
// Lifecycle, after the OpenTelemetry Collector's component model:
//   start()  binds or connects and begins accepting; rejects when it cannot
//            (the collector then fails to start). Called at most once.
//   close()  (OTel: Shutdown) stops accepting, lets what is in flight finish
//            or hands it back for redelivery, ends open streams and detaches
//            their sessions. Safe twice, safe without start() and after a
//            start() that rejected.
import type { Logger, ThrottledLog } from "@eastwest/common";
import type { Hello } from "@eastwest/proto";
import type { AgentSession } from "../store/types.ts";
import type { Sessions } from "../control/sessions.ts";
import type { Ingestor } from "./ingestor.ts";
import type { PipelineStats } from "./stats.ts";
import type { IngestLimits } from "./limits.ts";
import type { Clocks } from "../clock/clocks.ts";

export interface Receiver {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** What every receiver is given: the ingest pipeline, the command sessions and the agent registry's hooks. */
export interface ReceiverDeps {
  /** Sent in every Welcome. */
  collectorId: string;
  ingestor: Ingestor;
  sessions: Sessions;
  /** Receivers count undecodable frames here; the ingestor counts the rest. */
  stats: PipelineStats;
  logger: Logger;
  /** What peers may make the collector hold; default DEFAULT_LIMITS. */
  limits?: IngestLimits;
  /** Lines about bad frames, messages and refused hellos (rate-limited, values cut); default: one over `logger`. */
  log?: ThrottledLog;
  /** Agents' clock estimates, fed by the round trips the receiver answers (clock/clocks.ts); none: not estimated. */
  clocks?: Clocks;
  /** The highest seq stored for an agent (0n: none); a Welcome tells the agent, so it numbers on above it. */
  highestSeq: (agentId: string) => Promise<bigint>;
  /**
   * Begins (or, with the id of its current session, continues) an agent's session after an accepted hello; the
   * Welcome carries its epoch and the batches of that session must (seq-guard.ts). Rejects when the store cannot be read.
   */
  beginSession: (agentId: string, sessionId: string, baseSeq: bigint) => Promise<AgentSession>;
  /** An agent said hello on a new stream; resolves once that is recorded. */
  onHello: (hello: Hello) => Promise<void>;
  /** One of an agent's streams ended. */
  onDisconnect: (agentId: string) => Promise<void>;
}
