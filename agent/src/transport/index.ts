// The agent's transports by the config's collector.transport value: one line each. A transport is a folder
// whose index.ts exports createTransport (types.ts: the contract). why: imported only when configured, so an
// agent never loads a client library it does not use.
import type { AgentConfig } from "../config.ts";
import type { Transport, TransportDeps, TransportModule, TransportName } from "./types.ts";

export const TRANSPORTS: Readonly<Record<TransportName, () => Promise<TransportModule>>> = {
  grpc: () => import("./grpc/index.ts"),
  nats: () => import("./nats/index.ts"),
};

/** The configured transport, not started. */
export async function createTransport(config: AgentConfig, deps: TransportDeps): Promise<Transport> {
  const mod = await TRANSPORTS[config.collector.transport]();
  return mod.createTransport(config, deps);
}
