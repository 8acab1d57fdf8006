// The receiver registry and the Receiver lifecycle contract: the config picks the receivers (gRPC always, NATS
// when enabled); close() is safe without start() and twice; gRPC binds a free port and closes once bound.
import assert from "node:assert/strict";
import { silentLogger } from "@eastwest/common";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { Sessions } from "../../../collector/src/control/sessions.ts";
import { GrpcReceiver } from "../../../collector/src/ingest/grpc.ts";
import type { Ingestor } from "../../../collector/src/ingest/ingestor.ts";
import { NatsReceiver } from "../../../collector/src/ingest/nats.ts";
import type { ReceiverDeps } from "../../../collector/src/ingest/receiver.ts";
import { createReceivers } from "../../../collector/src/ingest/receivers.ts";
import { newStats } from "../../../collector/src/ingest/stats.ts";

// why: nothing here receives a frame, so the ingestor and the registry hooks are never called.
const deps = (): ReceiverDeps => ({
  collectorId: "c1",
  ingestor: {} as Ingestor,
  sessions: new Sessions(),
  stats: newStats(),
  logger: silentLogger(),
  highestSeq: () => Promise.resolve(0n),
  beginSession: (_id, sessionId, baseSeq) => Promise.resolve({ epoch: 1n, sessionId, baseSeq }),
  onHello: () => Promise.resolve(),
  onDisconnect: () => Promise.resolve(),
});

const config = (natsEnabled: boolean) => loadCollectorConfig({ env: {}, flags: { grpc: { host: "127.0.0.1", port: 0 }, nats: { enabled: natsEnabled } } });

describe("receivers", () => {
  it("gRPC only unless nats.enabled; with it gRPC then NATS", () => {
    const off = createReceivers(config(false), deps());
    assert.equal(off.length, 1);
    assert.ok(off[0] instanceof GrpcReceiver);
    const on = createReceivers(config(true), deps());
    assert.equal(on.length, 2);
    assert.ok(on[0] instanceof GrpcReceiver);
    assert.ok(on[1] instanceof NatsReceiver);
  });

  it("every receiver closes without start, and twice", async () => {
    for (const r of createReceivers(config(true), deps())) {
      await r.close();
      await r.close();
    }
  });

  it("gRPC binds a free port on start and closes twice", async () => {
    const [grpc] = createReceivers(config(false), deps());
    assert.ok(grpc instanceof GrpcReceiver);
    assert.equal(grpc.port, 0);
    await grpc.start();
    assert.ok(grpc.port > 0);
    await grpc.close();
    await grpc.close();
  });
});
