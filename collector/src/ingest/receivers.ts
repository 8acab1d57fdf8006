// The receiver kinds, one line each: whether the config enables it and how
// it is built from ReceiverDeps. A new receiver is a module implementing
// Receiver (receiver.ts) plus one line here.
import type { CollectorConfig } from "../config.ts";
import { GrpcReceiver } from "./grpc.ts";
import { NatsReceiver } from "./nats.ts";
import type { Receiver, ReceiverDeps } from "./receiver.ts";

export interface ReceiverKind {
  enabled(config: CollectorConfig): boolean;
  create(deps: ReceiverDeps, config: CollectorConfig): Receiver;
}

export const RECEIVERS: Readonly<Record<string, ReceiverKind>> = {
  grpc: { enabled: () => true, create: (deps, c) => new GrpcReceiver({ ...deps, host: c.grpc.host, port: c.grpc.port, connection: c.grpc, security: c.grpc }) },
  nats: { enabled: (c) => c.nats.enabled, create: (deps, c) => new NatsReceiver({ ...deps, config: c.nats }) },
};

/** The receivers the config enables, in the order above (the order the collector starts and closes them). */
export function createReceivers(config: CollectorConfig, deps: ReceiverDeps): Receiver[] {
  return Object.values(RECEIVERS)
    .filter((kind) => kind.enabled(config))
    .map((kind) => kind.create(deps, config));
}
