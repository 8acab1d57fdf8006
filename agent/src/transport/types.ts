// A transport carries the agent's Outbox to collectors and their commands back (grpc/, nats/; the registry is
// index.ts). Contract, for every transport:
//
//   start()      begins connecting and returns at once. Connecting, and reconnecting after any failure with the
//                shared backoff (common/src/backoff.ts RetryTimer), happen in the background; nothing throws to
//                the caller.
//   connected    true while batches flow: a collector welcomed this agent and its Welcome's highest seq became
//                the Outbox's base, so batches are numbered above everything the collectors hold.
//   pump()       sends what the Outbox has ready, up to its in-flight window; a no-op while not connected or
//                after close(). The agent calls it after every enqueue; transports call it after every ack.
//   drain(ms)    resolves true once every buffered batch is acknowledged, false after ms (never rejects).
//   close()      stops reconnecting and drops the connection; unacknowledged batches stay in the Outbox (the
//                agent spools them). Safe twice and safe without start().
//
// A batch leaves the Outbox only on its acknowledgement (stored or durably queued by the collector side, or
// rejected as invalid); on a lost connection what was in flight is requeued and resent. Every command received
// is run through deps.onCommand and answered with exactly one CommandResult.
import type { Logger } from "@eastwest/common";
import type { Command, CommandResult, Hello } from "@eastwest/proto";
import type { RefusalLog } from "../actions/policy.ts";
import type { AgentConfig } from "../config.ts";
import type { Outbox } from "../runtime/outbox.ts";

export interface Transport {
  readonly connected: boolean;
  start(): void;
  pump(): void;
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** What every transport gets from the agent, whatever its kind. */
export interface TransportDeps {
  outbox: Outbox;
  /** This agent's Hello as of now (identity and sampler states). */
  hello: () => Hello;
  logger: Logger;
  onCommand: (cmd: Command) => Promise<CommandResult>;
  /** Counts commands refused before onCommand (e.g. from a collector the config does not name). */
  refusals?: RefusalLog;
}

/** One transport's module as the registry loads it: its factory from the agent's whole config. */
export interface TransportModule {
  createTransport(config: AgentConfig, deps: TransportDeps): Transport;
}

/** The config's collector.transport values. */
export type TransportName = AgentConfig["collector"]["transport"];
