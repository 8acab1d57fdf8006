// The NATS JetStream transport (nats.ts) from the agent's config: the nats section (servers, subject prefix,
// site, stream, hello interval) with collector's timeouts and backoff.
import type { AgentConfig } from "../../config.ts";
import type { Transport, TransportDeps } from "../types.ts";
import { NatsTransport } from "./nats.ts";

export function createTransport(config: AgentConfig, deps: TransportDeps): Transport {
  const c = config.collector;
  return new NatsTransport({
    ...deps,
    ...config.nats,
    maxInFlight: config.buffer.maxInFlight,
    connectTimeoutMs: c.connectTimeoutMs,
    ackTimeoutMs: c.ackTimeoutMs,
    backoffMinMs: c.backoffMinMs,
    backoffMaxMs: c.backoffMaxMs,
  });
}
