// The agent's NATS JetStream transport (a Transport, ../types.ts; the alternative to ../grpc/).
//
// Contract, same Outbox rules as gRPC: after connecting, the agent sends Hello
// as a request on its hello subject; a collector answers with a Welcome
// holding the highest seq it holds for this agent, counting both its store
// and batches still waiting in the stream, and only then are batches numbered.
// Batches (the Batch bytes the Outbox encoded, as over gRPC) are published with JetStream publish and Nats-Msg-Id "<agent>:<seq>"
// (the stream drops a repeat inside its duplicate window; the store dedups
// beyond it). A batch leaves the Outbox on its PubAck: the file-backed stream
// is the durable buffer from then on, and collectors ack the stream only after
// their store write. A failed publish pauses publishing until every in-flight
// publish settled, then everything unacked is resent after a backoff.
// Hello is repeated every helloEveryMs so a restarted collector learns the
// agent; commands arrive as requests on each collector's command subject, and
// only those of the collectors in nats.collectors run (commands.ts).
// Each connection is a session: its hellos carry one random session_id, and
// every batch carries the epoch of the latest Welcome in the Eastwest-Epoch
// header (the collector refuses batches of a session it did not issue).
import { randomUUID } from "node:crypto";
import { connect, credsAuthenticator, headers, nkeyAuthenticator, usernamePasswordAuthenticator, type ConnectionOptions, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { CollectorMessage, Hello, type Welcome } from "@eastwest/proto";
import { ClockTracker } from "../clock.ts";
import { batchSubject, commandSubject, describeNatsConnectError, EastwestError, EPOCH_HEADER, errorMessage, helloSubject, inboxPrefixOf, msgIdOf, natsInsecureWarning, natsSecureOptions, RetryTimer, stampNs, type NatsSecurity, type SubjectParts } from "@eastwest/common";
import type { OutboxEntry } from "../../runtime/outbox.ts";
import { DrainWaiters } from "../drain.ts";
import type { Transport, TransportDeps } from "../types.ts";
import { serveCommands } from "./commands.ts";

/** A collector refused the agent's Hello, or answered with something other than a Welcome. */
export class HelloRefusedError extends EastwestError {}

export interface NatsTransportOptions extends TransportDeps, NatsSecurity {
  servers: string[];
  subjectPrefix: string;
  site: string;
  /** The stream batches must land in (publish expectation). */
  stream: string;
  /** Publishes awaiting their PubAck at once. */
  maxInFlight: number;
  /** Connect and hello-request timeout. */
  connectTimeoutMs: number;
  /** PubAck timeout. */
  ackTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  helloEveryMs: number;
  /** Ids of the collectors whose commands this agent serves (nats.collectors). */
  collectors: readonly string[];
}

export class NatsTransport implements Transport {
  readonly #o: NatsTransportOptions;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #subject = "";
  #cmdSub: Subscription | undefined;
  #welcomed = false;
  /** This connection's session id (hello) and the epoch of its latest Welcome (batch header). */
  #session = "";
  #epoch = 0n;
  #closed = false;
  readonly #retry: RetryTimer;
  #helloTimer: NodeJS.Timeout | undefined;
  readonly #clock: ClockTracker;
  #publishing = 0;
  #paused: string | undefined;
  #connects = 0;
  readonly #drain = new DrainWaiters();

  constructor(o: NatsTransportOptions) {
    this.#o = o;
    this.#retry = new RetryTimer({ minMs: o.backoffMinMs, maxMs: o.backoffMaxMs });
    this.#clock = new ClockTracker(o.logger);
  }

  get connected(): boolean {
    return this.#welcomed && this.#nc !== undefined && !this.#nc.isClosed();
  }

  /** Number of welcomed connections so far. */
  get connects(): number {
    return this.#connects;
  }

  start(): void {
    const warning = natsInsecureWarning(this.#o);
    if (warning !== undefined) this.#o.logger.warn(warning);
    void this.#connect();
  }

  #parts(): SubjectParts {
    const h = this.#o.hello();
    return { prefix: this.#o.subjectPrefix, site: this.#o.site, host: h.hostname, agentId: h.agentId };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let nc: NatsConnection;
    try {
      nc = await connect(this.#connectOptions());
    } catch (err) {
      return this.#retryLater(() => void this.#connect(), `connect: ${describeNatsConnectError(this.#o, err)}`);
    }
    if (this.#closed) return void nc.close();
    const parts = this.#parts();
    this.#nc = nc;
    this.#session = randomUUID();
    this.#js = jetstream(nc, { timeout: this.#o.ackTimeoutMs });
    this.#subject = batchSubject(parts);
    this.#cmdSub = serveCommands(nc, { subject: commandSubject(parts), collectors: this.#o.collectors, run: this.#o.onCommand, refusals: this.#o.refusals, logger: this.#o.logger });
    void nc.closed().then((err) => this.#onClosed(nc, err));
    void this.#logStatus(nc);
    void this.#hello(nc, helloSubject(parts));
  }

  /** why: inboxPrefix per agent, so that a server's permissions can let an agent read only its own replies. */
  #connectOptions(): ConnectionOptions {
    const agentId = this.#o.hello().agentId;
    const secure = natsSecureOptions(this.#o, { usernamePasswordAuthenticator, nkeyAuthenticator, credsAuthenticator });
    return { ...secure, servers: this.#o.servers, name: `eastwest-agent ${agentId}`, inboxPrefix: inboxPrefixOf(this.#o.subjectPrefix, agentId), timeout: this.#o.connectTimeoutMs, maxReconnectAttempts: -1 };
  }

  async #logStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") this.#o.logger.warn({ server: s.server }, `nats ${s.type}`);
    }
  }

  /** First hello numbers the Outbox; later ones only keep the collectors' registries current. */
  async #hello(nc: NatsConnection, subj: string): Promise<void> {
    if (this.#closed || nc !== this.#nc) return;
    const first = !this.#welcomed;
    try {
      const t1 = stampNs();
      const reply = await nc.request(subj, Hello.encode({ ...this.#o.hello(), sessionId: this.#session, clock: this.#clock.last }).finish(), { timeout: this.#o.connectTimeoutMs });
      const welcome = parseWelcome(reply.data);
      this.#clock.onAnswer(t1, welcome.receivedNs, welcome.sentNs, welcome.collectorId, welcome.clock);
      if (!first && welcome.epoch !== this.#epoch) this.#o.logger.warn({ epoch: String(welcome.epoch), was: String(this.#epoch) }, "collector began a new session epoch");
      this.#epoch = welcome.epoch;
      if (first) {
        this.#o.outbox.setBase(welcome.highestSeq);
        this.#welcomed = true;
        this.#retry.reset();
        this.#connects += 1;
        this.#o.logger.info({ collector: welcome.collectorId, highestSeq: String(welcome.highestSeq), buffered: this.#o.outbox.size() }, "connected to collectors over NATS");
        this.pump();
      }
    } catch (err) {
      if (first) return this.#retryLater(() => void this.#hello(nc, subj), `hello: ${errorMessage(err)}`);
      this.#o.logger.warn({ why: errorMessage(err) }, "periodic hello unanswered");
    }
    if (!this.#closed && nc === this.#nc) {
      this.#helloTimer = setTimeout(() => void this.#hello(nc, subj), this.#o.helloEveryMs);
      this.#helloTimer.unref();
    }
  }

  /** Publishes whatever the outbox has ready, up to maxInFlight awaiting PubAck. */
  pump(): void {
    if (!this.#js || !this.#welcomed || this.#paused !== undefined || this.#closed) return;
    const room = this.#o.maxInFlight - this.#publishing;
    if (room <= 0) return;
    for (const e of this.#o.outbox.takeSendable(room)) void this.#publish(this.#js, e);
  }

  async #publish(js: JetStreamClient, e: OutboxEntry): Promise<void> {
    const seq = e.seq as bigint;
    const agentId = this.#o.hello().agentId;
    const data = e.bytes as Buffer;
    const maxPayload = this.#nc?.info?.max_payload ?? Infinity;
    if (data.length > maxPayload) {
      this.#o.logger.error({ seq: String(seq), bytes: data.length, maxPayload }, "batch larger than the server's max_payload: dropped (lower batch.maxPoints or raise max_payload)");
      this.#o.outbox.ack(seq, true);
      return this.#notifyIfDrained();
    }
    this.#publishing += 1;
    try {
      const h = headers();
      h.set(EPOCH_HEADER, String(this.#epoch));
      await js.publish(this.#subject, data, { msgID: msgIdOf(agentId, seq), headers: h, timeout: this.#o.ackTimeoutMs, expect: { streamName: this.#o.stream } });
      this.#o.outbox.ack(seq);
      this.#retry.reset();
    } catch (err) {
      this.#paused ??= `publish seq ${seq}: ${errorMessage(err)}`;
    } finally {
      this.#publishing -= 1;
      this.#afterPublish();
    }
  }

  #afterPublish(): void {
    if (this.#closed) return;
    if (this.#paused === undefined) {
      this.pump();
      return this.#notifyIfDrained();
    }
    if (this.#publishing > 0) return;
    const why = this.#paused;
    this.#o.outbox.requeueInFlight();
    this.#retryLater(() => {
      this.#paused = undefined;
      this.pump();
    }, why);
  }

  #onClosed(nc: NatsConnection, err: void | Error): void {
    if (nc !== this.#nc || this.#closed) return;
    this.#nc = undefined;
    this.#js = undefined;
    this.#welcomed = false;
    clearTimeout(this.#helloTimer);
    this.#o.outbox.requeueInFlight();
    this.#retryLater(() => void this.#connect(), `connection closed${err ? `: ${err.message}` : ""}`);
  }

  #retryLater(fn: () => void, why: string): void {
    const delay = this.#retry.schedule(fn);
    if (delay === undefined) return;
    this.#o.logger.warn({ why, retryInMs: delay, buffered: this.#o.outbox.size() }, "collectors unreachable over NATS");
  }

  #notifyIfDrained(): void {
    this.#drain.notify(this.#o.outbox.size());
  }

  /** Resolves true once every buffered batch is in the stream, false on timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#drain.wait(this.#o.outbox.size(), timeoutMs);
  }

  /** Safe twice and without start(). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retry.cancel();
    clearTimeout(this.#helloTimer);
    this.#cmdSub?.unsubscribe();
    const nc = this.#nc;
    this.#nc = undefined;
    await nc?.close();
  }
}

/** The Welcome in a hello reply; throws HelloRefusedError for anything else. */
function parseWelcome(data: Uint8Array): Welcome {
  let m: CollectorMessage;
  try {
    m = CollectorMessage.decode(data);
  } catch (err) {
    throw new HelloRefusedError("undecodable hello reply", { cause: err });
  }
  if (m.msg?.$case === "welcome") return m.msg.value;
  if (m.msg?.$case === "error") throw new HelloRefusedError(`collector refused hello: ${m.msg.value.reason}`);
  throw new HelloRefusedError(`unexpected hello reply ${m.msg?.$case ?? "(empty)"}`);
}
