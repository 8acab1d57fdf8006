// The agent's gRPC stream to the collector (a Transport, ../types.ts). Sends Hello, waits for Welcome
// (the highest seq the collector holds for this agent) at most welcomeTimeoutMs (then reconnects: a collector
// whose store failed may never answer), then keeps at most
// maxInFlight batches unacked; drops a batch only on its Ack. Any stream
// failure or an ack overdue past ackTimeoutMs reconnects with backoff and
// resends everything unacked (the collector dedups on (agent_id, seq)). A Busy message (the collector holds
// this stream's batches, unacked: a slow or failing store, flow control) restarts the ack deadline instead.
// Batches are written as AgentMessage frames around the Batch bytes the Outbox encoded (@eastwest/proto/wire).
// Credentials (TLS or plaintext): tls.ts.
import { status, type ClientDuplexStream } from "@grpc/grpc-js";
import { AckCode, TelemetryClient, TelemetryService, type AgentMessage, type CollectorMessage, type Command, type CommandResult } from "@eastwest/proto";
import { batchFrame } from "@eastwest/proto/wire";
import { errorMessage, nowNs, RetryTimer } from "@eastwest/common";
import { ClockTracker } from "../clock.ts";
import { DrainWaiters } from "../drain.ts";
import type { Transport, TransportDeps } from "../types.ts";
import { plaintextChannel, type ChannelSecurity } from "./tls.ts";

export interface GrpcTransportOptions extends TransportDeps {
  address: string;
  maxInFlight: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  /** After the hello, the Welcome must come within this, else the stream is dropped and retried. */
  welcomeTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  keepaliveMs: number;
  /** TLS or plaintext (tls.ts); default plaintext. Closed with the transport. */
  security?: ChannelSecurity;
}

/** What the stream writes: a message, or a batch as a function that frames its bytes when gRPC serializes it. */
type Outgoing = AgentMessage | (() => Buffer);
type Call = ClientDuplexStream<Outgoing, CollectorMessage>;

const CONNECT = TelemetryService.connect;

function serialize(m: Outgoing): Buffer {
  return typeof m === "function" ? m() : CONNECT.requestSerialize(m);
}

export class GrpcTransport implements Transport {
  readonly #o: GrpcTransportOptions;
  readonly #client: TelemetryClient;
  #call: Call | undefined;
  #welcomed = false;
  #closed = false;
  readonly #retry: RetryTimer;
  #watchdog: NodeJS.Timeout | undefined;
  #welcomeTimer: NodeJS.Timeout | undefined;
  #sentAt = new Map<bigint, number>();
  #connects = 0;
  readonly #drain = new DrainWaiters();
  readonly #security: ChannelSecurity;
  readonly #clock: ClockTracker;
  #collectorId = "";
  /** A Busy came since the last ack: said once per spell. */
  #busy = false;

  constructor(o: GrpcTransportOptions) {
    this.#o = o;
    this.#retry = new RetryTimer({ minMs: o.backoffMinMs, maxMs: o.backoffMaxMs });
    this.#security = o.security ?? plaintextChannel();
    this.#clock = new ClockTracker(o.logger);
    this.#client = new TelemetryClient(o.address, this.#security.credentials, {
      ...this.#security.options,
      "grpc.keepalive_time_ms": o.keepaliveMs,
      "grpc.keepalive_timeout_ms": Math.max(1000, Math.floor(o.keepaliveMs / 2)),
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
    });
  }

  get connected(): boolean {
    return this.#welcomed;
  }

  /** Number of successful (welcomed) connections so far. */
  get connects(): number {
    return this.#connects;
  }

  start(): void {
    this.#connect();
  }

  #connect(): void {
    if (this.#closed) return;
    const deadline = Date.now() + this.#o.connectTimeoutMs;
    this.#client.waitForReady(deadline, (err) => {
      if (this.#closed) return;
      if (err) return this.#reconnect(`connect: ${err.message}`);
      this.#open();
    });
  }

  #open(): void {
    const call = this.#client.makeBidiStreamRequest(CONNECT.path, serialize, CONNECT.responseDeserialize);
    this.#call = call;
    call.on("data", (m: CollectorMessage) => this.#onMessage(call, m));
    call.on("error", (err: Error & { code?: number }) => {
      if (err.code === status.PERMISSION_DENIED) this.#o.logger.error({ reason: err.message }, "collector refused this agent (its certificate's CN or a SAN must be the agent id)");
      this.#onDown(call, `stream: ${err.message}`);
    });
    call.on("end", () => this.#onDown(call, "stream ended by collector"));
    call.write({ msg: { $case: "hello", value: this.#o.hello() } });
    this.#awaitWelcome(call);
  }

  /** why: a collector that accepted the stream but never welcomes (its store failing) would hold batches forever. */
  #awaitWelcome(call: Call): void {
    clearTimeout(this.#welcomeTimer);
    this.#welcomeTimer = setTimeout(() => {
      if (call !== this.#call || this.#welcomed) return;
      this.#o.logger.warn({ welcomeTimeoutMs: this.#o.welcomeTimeoutMs }, "no Welcome from the collector: reconnecting");
      call.cancel();
    }, this.#o.welcomeTimeoutMs);
    this.#welcomeTimer.unref();
  }

  #onMessage(call: Call, m: CollectorMessage): void {
    if (call !== this.#call || !m.msg) return;
    switch (m.msg.$case) {
      case "welcome":
        clearTimeout(this.#welcomeTimer);
        this.#welcomed = true;
        this.#retry.reset();
        this.#connects += 1;
        this.#o.outbox.setBase(m.msg.value.highestSeq);
        this.#collectorId = m.msg.value.collectorId;
        if (m.msg.value.clock) this.#clock.note(m.msg.value.clock);
        // why: a collector that does not say it answers probes (an older one) would refuse them as empty messages.
        if (m.msg.value.clockProbes) this.#clock.startProbing((p) => call.write({ msg: { $case: "clockProbe", value: p } }));
        this.#o.logger.info({ collector: m.msg.value.collectorId, highestSeq: String(m.msg.value.highestSeq), epoch: String(m.msg.value.epoch), buffered: this.#o.outbox.size() }, "connected to collector");
        this.pump();
        return;
      case "ack": {
        const ack = m.msg.value;
        this.#sentAt.delete(ack.seq);
        if (this.#busy) this.#o.logger.info({ seq: String(ack.seq) }, "collector acking again");
        this.#busy = false;
        const rejected = ack.code === AckCode.ACK_CODE_INVALID;
        if (rejected) this.#o.logger.error({ seq: String(ack.seq), reason: ack.reason }, "collector rejected batch");
        this.#o.outbox.ack(ack.seq, rejected);
        this.pump();
        this.#notifyIfDrained();
        return;
      }
      case "busy": {
        const now = Date.now();
        // the watchdog, when it wakes, finds nothing overdue and waits for the new oldest
        for (const seq of this.#sentAt.keys()) this.#sentAt.set(seq, now);
        if (!this.#busy) this.#o.logger.warn({ batchesWaiting: m.msg.value.batchesWaiting, waitingMs: String(m.msg.value.waitingMs), inFlight: this.#sentAt.size }, "collector busy: batches wait there unacked (delayed, not lost)");
        this.#busy = true;
        return;
      }
      case "command":
        void this.#runCommand(call, m.msg.value);
        return;
      case "clockReply":
        this.#clock.onReply(m.msg.value, this.#collectorId);
        return;
      case "error":
        this.#o.logger.error({ code: m.msg.value.code, reason: m.msg.value.reason }, "collector reported a stream error");
        return;
    }
  }

  async #runCommand(call: Call, cmd: Command): Promise<void> {
    let result: CommandResult;
    try {
      result = await this.#o.onCommand(cmd);
    } catch (err) {
      result = { id: cmd.id, ok: false, error: errorMessage(err), json: "", startedNs: nowNs(), finishedNs: nowNs() };
    }
    if (call === this.#call && !this.#closed) call.write({ msg: { $case: "result", value: result } });
  }

  /** Sends whatever the outbox has ready, up to the in-flight window. */
  pump(): void {
    const call = this.#call;
    if (!call || !this.#welcomed || this.#closed) return;
    const room = this.#o.maxInFlight - this.#o.outbox.inFlightCount();
    if (room <= 0) return;
    for (const e of this.#o.outbox.takeSendable(room)) {
      const bytes = e.bytes as Buffer;
      this.#sentAt.set(e.seq as bigint, Date.now());
      call.write(() => batchFrame(bytes));
    }
    this.#armWatchdog();
  }

  /**
   * Wakes when the oldest batch in flight would be overdue. why: not a periodic check: acks come within
   * milliseconds, so a timer every second found nothing almost always and was one more wake-up per second.
   */
  #armWatchdog(): void {
    if (this.#watchdog !== undefined || this.#closed) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.#sentAt.values()) oldest = Math.min(oldest, t);
    if (oldest === Number.POSITIVE_INFINITY) return;
    // why setImmediate: it runs after the loop's I/O phase, so acks and Busy messages that arrived while this
    // process was not running (a starved agent wakes with its timer overdue) are read before they are judged overdue
    this.#watchdog = setTimeout(() => setImmediate(() => {
      this.#watchdog = undefined;
      this.#checkAcks();
      this.#armWatchdog();
    }), Math.max(0, oldest + this.#o.ackTimeoutMs - Date.now()));
    this.#watchdog.unref();
  }

  #checkAcks(): void {
    if (!this.#call || !this.#welcomed) return;
    const now = Date.now();
    for (const t of this.#sentAt.values()) {
      if (now - t >= this.#o.ackTimeoutMs) {
        this.#o.logger.warn({ ackTimeoutMs: this.#o.ackTimeoutMs }, "ack overdue: reconnecting");
        this.#call.cancel();
        return;
      }
    }
  }

  #onDown(call: Call, why: string): void {
    if (call !== this.#call) return;
    this.#call = undefined;
    this.#welcomed = false;
    this.#busy = false;
    this.#clock.stopProbing();
    this.#sentAt.clear();
    this.#o.outbox.requeueInFlight();
    if (!this.#closed) this.#reconnect(why);
  }

  #reconnect(why: string): void {
    const delay = this.#retry.schedule(() => this.#connect());
    if (delay === undefined) return;
    this.#o.logger.warn({ why, retryInMs: delay, buffered: this.#o.outbox.size() }, "collector unreachable");
  }

  #notifyIfDrained(): void {
    this.#drain.notify(this.#o.outbox.size());
  }

  /** Resolves true once every buffered batch is acked, false on timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.#drain.wait(this.#o.outbox.size(), timeoutMs);
  }

  /** Safe twice and without start(). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retry.cancel();
    clearTimeout(this.#watchdog);
    clearTimeout(this.#welcomeTimer);
    this.#clock.stopProbing();
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      call.end();
      call.cancel();
    }
    this.#client.close();
    this.#security.close();
  }
}
