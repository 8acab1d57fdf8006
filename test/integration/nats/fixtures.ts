// Shared pieces of the NATS suites: in-process collectors with the NATS
// receiver on, a synthetic publisher that speaks the agent's subject scheme,
// and consumer state read from the server.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type ConsumerInfo, type JetStreamClient, type JetStreamManager, type PubAck } from "@nats-io/jetstream";
import { Batch } from "@eastwest/proto";
import { nowNs, silentLogger, toWirePoint } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig, type CollectorConfig } from "../../../collector/src/config.ts";
import type { Store } from "../../../collector/src/store/types.ts";
import { batchSubject, DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, msgIdOf } from "../../../common/src/nats/subjects.ts";

export const SITE = "lab";
export const HOST = "test-host";

export function natsCollectorConfig(id: string, storePath: string, natsUrl: string, nats: Record<string, unknown> = {}): CollectorConfig {
  return loadCollectorConfig({
    env: {},
    flags: { id, grpc: { port: 0 }, http: { port: 0 }, store: { path: storePath }, nats: { enabled: true, servers: natsUrl, ackWaitMs: 2000, ...nats } },
  });
}

/** `store`: an open-able store shared with other collectors (one writer per embedded store file). */
export async function startNatsCollector(id: string, storePath: string, natsUrl: string, nats: Record<string, unknown> = {}, store?: Store): Promise<Collector> {
  const c = new Collector(natsCollectorConfig(id, storePath, natsUrl, nats), silentLogger(), store);
  await c.start();
  return c;
}

export function goodBatch(agentId: string, seq: bigint): Batch {
  const point = toWirePoint({ measurement: "eastwest_agent", tags: { agent_id: agentId }, fields: { buffered_batches: seq, connected: true }, timeNs: nowNs() });
  return { agentId, seq, points: [point], createdNs: nowNs() };
}

/** Publishes as an agent would: JetStream publish on the agent's batch subject, Nats-Msg-Id "<agent>:<seq>". */
export class Publisher {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;

  private constructor(nc: NatsConnection, jsm: JetStreamManager) {
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc);
  }

  static async connect(url: string): Promise<Publisher> {
    const nc = await connect({ servers: url });
    return new Publisher(nc, await jetstreamManager(nc));
  }

  subject(agentId: string): string {
    return batchSubject({ prefix: DEFAULT_SUBJECT_PREFIX, site: SITE, host: HOST, agentId });
  }

  publishBatch(b: Batch, subject = this.subject(b.agentId)): Promise<PubAck> {
    return this.js.publish(subject, Batch.encode(b).finish(), { msgID: msgIdOf(b.agentId, b.seq) });
  }

  publishRaw(agentId: string, data: Uint8Array, msgID: string): Promise<PubAck> {
    return this.js.publish(this.subject(agentId), data, { msgID });
  }

  /** Seqs from..to of agentId, `parallel` publishes at a time. */
  async publishRange(agentId: string, from: number, to: number, parallel = 64): Promise<void> {
    for (let start = from; start <= to; start += parallel) {
      const end = Math.min(to, start + parallel - 1);
      const jobs: Array<Promise<PubAck>> = [];
      for (let s = start; s <= end; s++) jobs.push(this.publishBatch(goodBatch(agentId, BigInt(s))));
      await Promise.all(jobs);
    }
  }

  consumer(): Promise<ConsumerInfo> {
    return this.jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
  }

  /** True once every stream message was delivered and settled. */
  async consumerIdle(): Promise<true | undefined> {
    const ci = await this.consumer();
    return ci.num_pending === 0 && ci.num_ack_pending === 0 ? true : undefined;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
