// The gRPC transport (grpc.ts) from the agent's config: collector.address, its timeouts (connect, ack, Welcome),
// backoff and keepalive, and its security (tls.ts: collector.tls, collector.insecure).
import type { AgentConfig } from "../../config.ts";
import type { Transport, TransportDeps } from "../types.ts";
import { GrpcTransport } from "./grpc.ts";
import { channelSecurity } from "./tls.ts";

export function createTransport(config: AgentConfig, deps: TransportDeps): Transport {
  const c = config.collector;
  return new GrpcTransport({
    ...deps,
    address: c.address,
    maxInFlight: config.buffer.maxInFlight,
    connectTimeoutMs: c.connectTimeoutMs,
    ackTimeoutMs: c.ackTimeoutMs,
    welcomeTimeoutMs: c.welcomeTimeoutMs,
    backoffMinMs: c.backoffMinMs,
    backoffMaxMs: c.backoffMaxMs,
    keepaliveMs: c.keepaliveMs,
    security: channelSecurity(c, deps.logger),
  });
}
