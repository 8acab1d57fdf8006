// The JetStream stream and durable consumer the collectors share. Every
// collector ensures both at start (creating or updating them to its config),
// so N collectors started at once converge on one stream and one consumer.
// Refuses a stream that is not file-backed: agents drop a batch on its PubAck,
// so the stream is the only copy until a collector stored it.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { batchWildcard, EastwestError, errorMessage } from "@eastwest/common";
import type { CollectorConfig } from "../config.ts";

/** The stream or consumer exists with settings eastwest cannot work with, or cannot be created. */
export class NatsSetupError extends EastwestError {}

type NatsConfig = CollectorConfig["nats"];

export function streamConfig(c: NatsConfig): StreamConfig {
  return {
    name: c.stream,
    subjects: [batchWildcard(c.subjectPrefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(c.maxAgeMs),
    max_bytes: c.maxBytes,
    duplicate_window: nanos(c.duplicateWindowMs),
    num_replicas: c.replicas,
  } as StreamConfig;
}

export function consumerConfig(c: NatsConfig): Partial<ConsumerConfig> {
  return {
    durable_name: c.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: batchWildcard(c.subjectPrefix),
    ack_wait: nanos(c.ackWaitMs),
    max_deliver: c.maxDeliver,
  };
}

const isNotFound = (err: unknown): boolean => err instanceof Error && /not found/i.test(err.message);

export async function ensureStream(jsm: JetStreamManager, c: NatsConfig): Promise<void> {
  const want = streamConfig(c);
  let have: StreamConfig;
  try {
    have = (await jsm.streams.info(c.stream)).config;
  } catch (err) {
    if (!isNotFound(err)) throw new NatsSetupError(`stream ${c.stream}: ${errorMessage(err)}`, { cause: err });
    try {
      await jsm.streams.add(want);
      return;
    } catch (addErr) {
      // why: another collector may have created it between info and add.
      have = (await jsm.streams.info(c.stream).catch(() => Promise.reject(new NatsSetupError(`stream ${c.stream}: ${errorMessage(addErr)}`, { cause: addErr })))).config;
    }
  }
  if (have.storage !== StorageType.File) throw new NatsSetupError(`stream ${c.stream} uses ${have.storage} storage: eastwest needs file storage (agents drop batches once the stream has them)`);
  if (!have.subjects?.includes(want.subjects[0] as string)) throw new NatsSetupError(`stream ${c.stream} does not capture ${want.subjects[0]} (subjects: ${have.subjects?.join(", ")})`);
  const changed = have.max_age !== want.max_age || have.max_bytes !== want.max_bytes || have.duplicate_window !== want.duplicate_window || have.num_replicas !== want.num_replicas;
  if (!changed) return;
  try {
    await jsm.streams.update(c.stream, { ...have, max_age: want.max_age, max_bytes: want.max_bytes, duplicate_window: want.duplicate_window, num_replicas: want.num_replicas });
  } catch (err) {
    throw new NatsSetupError(`stream ${c.stream}: cannot update limits: ${errorMessage(err)}`, { cause: err });
  }
}

export async function ensureConsumer(jsm: JetStreamManager, c: NatsConfig): Promise<void> {
  const want = consumerConfig(c);
  try {
    const have = (await jsm.consumers.info(c.stream, c.consumer)).config;
    if (have.deliver_subject) throw new NatsSetupError(`consumer ${c.consumer} is a push consumer: eastwest needs a pull consumer`);
    if (have.ack_policy !== AckPolicy.Explicit) throw new NatsSetupError(`consumer ${c.consumer} has ack policy ${have.ack_policy}: eastwest needs explicit acks`);
    if (have.ack_wait === want.ack_wait && have.max_deliver === want.max_deliver) return;
    await jsm.consumers.update(c.stream, c.consumer, { ack_wait: want.ack_wait, max_deliver: want.max_deliver });
  } catch (err) {
    if (err instanceof NatsSetupError) throw err;
    if (!isNotFound(err)) throw new NatsSetupError(`consumer ${c.consumer}: ${errorMessage(err)}`, { cause: err });
    await jsm.consumers.add(c.stream, want).catch((addErr: unknown) => {
      throw new NatsSetupError(`consumer ${c.consumer}: ${errorMessage(addErr)}`, { cause: addErr });
    });
  }
}
