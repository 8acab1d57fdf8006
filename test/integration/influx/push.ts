// A collector configured with the InfluxDB store, and a unary gRPC push into it.
import { join } from "node:path";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { TelemetryClient, type Ack } from "@eastwest/proto";
import { silentLogger, toWirePoint } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import type { InfluxConfig } from "../../../collector/src/store/influx/config.ts";
import type { StoredBatch } from "../../../collector/src/store/types.ts";

/** A started collector whose store section is { kind: influx, path: dir/name.db, influx }. */
export async function influxCollector(dir: string, name: string, influx: Partial<InfluxConfig>): Promise<Collector> {
  const config = loadCollectorConfig({
    env: {},
    flags: { id: name, grpc: { port: 0 }, http: { port: 0 }, store: { kind: "influx", path: join(dir, `${name}.db`), influx } },
  });
  const collector = new Collector(config, silentLogger());
  await collector.start();
  return collector;
}

/** Pushes one batch over gRPC and resolves with the collector's ack. */
export function push(collector: Collector, b: StoredBatch): Promise<Ack> {
  const client = new TelemetryClient(`127.0.0.1:${collector.grpcPort}`, credentials.createInsecure());
  const wire = { agentId: b.agentId, seq: b.seq, points: b.points.map(toWirePoint), createdNs: b.receivedNs };
  return new Promise<Ack>((resolve, reject) => {
    client.push(wire, new Metadata(), { deadline: Date.now() + 30_000 }, (err: ServiceError | null, ack?: Ack) => {
      client.close();
      if (err || !ack) reject(err ?? new Error("no ack"));
      else resolve(ack);
    });
  });
}
