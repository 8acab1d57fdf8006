// The collector's NATS JetStream receiver. All collectors pull from one
// durable consumer, so the stream's batches are shared among them and each
// is handled by one collector at a time.
//
// Per message: decode -> ingestor.ingest() (validate, group-committed store
// write) -> settle. Stored or duplicate: ack, only after the store write
// returned. Invalid, undecodable, or an agent_id that does not match the
// subject: term (never redelivered), logged and counted. Store unavailable
// after the ingestor's retries: nak with nakDelayMs. A message this collector
// took but never settled (crash, stop) is redelivered to any collector after
// ackWaitMs; the store's (agent_id, seq) idempotence makes that harmless.
// A message over limits.maxMessageBytes is terminated unread. Each message is
// handled inside an error boundary: an unexpected failure terminates that
// message (it would fail again), is counted (stats.handlerErrors) and logged
// through the throttled log; consuming goes on.
// A batch's session is its Eastwest-Epoch header (the agent's Welcome epoch);
// the stream is a durable log, so batches of an older session may still come
// (seq-guard.ts: admitted at or below where the newer session began). A batch
// refused by the guard is termed like an invalid one.
import { connect, credsAuthenticator, nkeyAuthenticator, usernamePasswordAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { AckCode } from "@eastwest/proto";
import { agentTokenOf, describeNatsConnectError, EPOCH_HEADER, errorMessage, natsInsecureWarning, natsSecureOptions, parseEpoch, ThrottledLog, tokenOf } from "@eastwest/common";
import type { CollectorConfig } from "../config.ts";
import { HelloResponder } from "./nats-hello.ts";
import { ensureConsumer, ensureStream, NatsSetupError } from "./nats-setup.ts";
import { decodeWithLimits, type DecodedBatch } from "./decode.ts";
import type { Receiver, ReceiverDeps } from "./receiver.ts";
import { DEFAULT_LIMITS, type IngestLimits } from "./limits.ts";

export interface NatsReceiverOptions extends ReceiverDeps {
  config: CollectorConfig["nats"];
}

/** Messages this collector took from the consumer and how each was settled. */
export interface NatsStats {
  messages: bigint;
  redelivered: bigint;
  acked: bigint;
  termed: bigint;
  naked: bigint;
}

/** How long close() waits for batches being stored before it lets them be redelivered. */
const CLOSE_WAIT_MS = 5000;
const RESTART_DELAY_MS = 1000;

/** "+TERM <reason>" is understood from server 2.11 on; older servers take it for no ack at all. */
export function termTakesReason(version: string | undefined): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 11);
}

export class NatsReceiver implements Receiver {
  readonly natsStats: NatsStats = { messages: 0n, redelivered: 0n, acked: 0n, termed: 0n, naked: 0n };
  readonly #o: NatsReceiverOptions;
  #nc: NatsConnection | undefined;
  #hello: HelloResponder | undefined;
  #msgs: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;
  readonly #limits: IngestLimits;
  readonly #log: ThrottledLog;

  constructor(o: NatsReceiverOptions) {
    this.#o = o;
    this.#limits = o.limits ?? DEFAULT_LIMITS;
    this.#log = o.log ?? new ThrottledLog(o.logger);
  }

  /** Connects, ensures stream and consumer, starts answering hellos and consuming. Rejects with NatsSetupError. */
  async start(): Promise<void> {
    const c = this.#o.config;
    const warning = natsInsecureWarning(c);
    if (warning !== undefined) this.#o.logger.warn(warning);
    try {
      const secure = natsSecureOptions(c, { usernamePasswordAuthenticator, nkeyAuthenticator, credsAuthenticator });
      this.#nc = await connect({ ...secure, servers: c.servers, name: `eastwest-collector ${this.#o.collectorId}`, timeout: c.connectTimeoutMs, maxReconnectAttempts: -1 });
    } catch (err) {
      throw new NatsSetupError(`cannot connect to NATS ${c.servers.join(",")}: ${describeNatsConnectError(c, err)}`, { cause: err });
    }
    const jsm = await jetstreamManager(this.#nc).catch((err: unknown) => Promise.reject(new NatsSetupError(`JetStream unavailable: ${errorMessage(err)}`, { cause: err })));
    await ensureStream(jsm, c);
    await ensureConsumer(jsm, c);
    const o = this.#o;
    this.#hello = new HelloResponder({ nc: this.#nc, jsm, subjectPrefix: c.subjectPrefix, stream: c.stream, collectorId: o.collectorId, logger: o.logger, sessions: o.sessions, highestSeq: o.highestSeq, beginSession: o.beginSession, onHello: o.onHello, onDisconnect: o.onDisconnect, limits: this.#limits, log: this.#log, stats: o.stats, clocks: o.clocks });
    this.#hello.start();
    const consumer = await jetstream(this.#nc).consumers.get(c.stream, c.consumer);
    this.#loop = this.#consumeLoop(jsm, consumer);
    o.logger.info({ servers: c.servers, stream: c.stream, consumer: c.consumer }, "consuming batches from NATS JetStream");
  }

  async #consumeLoop(jsm: JetStreamManager, consumer: Consumer): Promise<void> {
    const c = this.#o.config;
    while (!this.#closed) {
      try {
        this.#msgs = await consumer.consume({ max_messages: c.fetchBatch });
        for await (const m of this.#msgs) {
          if (this.#closed) break;
          while (this.#inflight.size >= c.maxInFlight) await Promise.race(this.#inflight);
          this.#track(this.#handle(m).catch((err: unknown) => this.#failed(m, err)));
        }
      } catch (err) {
        if (!this.#closed) this.#o.logger.warn({ why: errorMessage(err) }, "NATS consume failed: restarting");
      }
      if (this.#closed) return;
      await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
      await ensureConsumer(jsm, c).catch((err: unknown) => this.#o.logger.error({ why: errorMessage(err) }, "cannot ensure the NATS consumer"));
    }
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** The error boundary's answer: count, log, terminate. */
  #failed(m: JsMsg, err: unknown): void {
    this.#o.stats.handlerErrors += 1n;
    this.#log.error("nats handler failed", { subject: m.subject, err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, "nats message handler failed");
    this.#term(m, "internal error (logged by the collector)");
  }

  async #handle(m: JsMsg): Promise<void> {
    const s = this.natsStats;
    s.messages += 1n;
    if (m.redelivered) s.redelivered += 1n;
    const max = this.#limits.maxMessageBytes;
    if (m.data.length > max) {
      this.#o.stats.refusedByLimit.maxMessageBytes += 1n;
      return this.#term(m, `limit maxMessageBytes: message of ${m.data.length} bytes, limit ${max}`);
    }
    let batch: DecodedBatch;
    try {
      batch = decodeWithLimits(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), undefined, undefined, this.#limits);
    } catch (err) {
      this.#o.stats.framesUndecodable += 1n;
      return this.#term(m, `undecodable batch (${m.data.length} bytes): ${errorMessage(err)}`);
    }
    if (tokenOf(batch.agentId) !== agentTokenOf(m.subject)) return this.#term(m, `agent_id ${JSON.stringify(batch.agentId.slice(0, 140))} does not match subject ${m.subject}`);
    const header = m.headers?.get(EPOCH_HEADER) ?? "";
    const epoch = header === "" ? undefined : parseEpoch(header);
    if (header !== "" && epoch === undefined) return this.#term(m, `${EPOCH_HEADER} ${JSON.stringify(header.slice(0, 40))} is not an epoch`);
    try {
      const ack = await this.#o.ingestor.ingest(batch, undefined, epoch === undefined ? undefined : { epoch, late: true });
      if (ack.code === AckCode.ACK_CODE_INVALID) return this.#term(m, ack.reason);
      this.#settle(m, "ack");
      s.acked += 1n;
    } catch (err) {
      this.#o.logger.warn({ agentId: batch.agentId, seq: String(batch.seq), why: errorMessage(err), retryInMs: this.#o.config.nakDelayMs }, "store unavailable: batch returned to the stream");
      this.#settle(m, "nak");
      s.naked += 1n;
    }
  }

  #term(m: JsMsg, reason: string): void {
    this.#log.warn(`batch terminated ${reason.slice(0, 40)}`, { subject: m.subject, streamSeq: m.seq, reason }, "batch terminated");
    this.natsStats.termed += 1n;
    this.#settle(m, "term", reason.length > 500 ? `${reason.slice(0, 500)}...` : reason);
  }

  /** A settle that cannot be sent (connection closed) leaves the message to redelivery. */
  #settle(m: JsMsg, how: "ack" | "nak" | "term", reason = ""): void {
    try {
      if (how === "ack") m.ack();
      else if (how === "nak") m.nak(this.#o.config.nakDelayMs);
      else if (termTakesReason(this.#nc?.info?.version)) m.term(reason);
      else m.term();
    } catch (err) {
      this.#o.logger.debug({ streamSeq: m.seq, how, why: errorMessage(err) }, "settle not sent");
    }
  }

  /** Stops consuming, lets batches being stored finish (bounded), flushes their acks, disconnects. Safe twice and without start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hello?.close();
    await this.#msgs?.close().catch(() => undefined);
    const settled = Promise.allSettled([...this.#inflight, this.#loop]);
    await Promise.race([settled, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    const nc = this.#nc;
    this.#nc = undefined;
    await nc?.drain().catch(() => nc.close());
  }
}
