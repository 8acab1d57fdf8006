// The collector's gRPC receiver. Frames are decoded here (not by grpc-js) so
// a malformed frame becomes a StreamError / INVALID_ARGUMENT with the reason
// instead of a torn-down call; nothing else on the stream is lost. Every frame,
// hello and unary call runs inside an error boundary: whatever it throws fails
// that frame (StreamError INTERNAL) or call, is counted (stats.handlerErrors)
// and logged through the throttled log; the process and other streams go on.
// Connections are reaped by grpc-js: keepalive pings, max idle and max age
// (config grpc.*); frames over limits.maxMessageBytes are refused by grpc-js.
// The stream is the agent's session: its hello begins one (a new epoch, in
// the Welcome), and its batches are admitted under that epoch only.
// TLS and who may say hello as which agent: grpc-tls.ts.
// Flow control: a stream that delivers a batch while the ingest queue is full
// (Ingestor.saturated) is paused (counted in stats.streamsPaused); grpc-js then
// stops reading it, and HTTP/2's window holds the rest at the agent. Paused
// streams resume together once the queue has drained to half. A unary Push
// meanwhile is answered UNAVAILABLE (the client retries). A stream whose
// batches wait without an ack is told it is busy (busy.ts).
import { Server, setLogger, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { CollectorMessage, TelemetryService, Ack, type ClockProbe, type Command, type Hello } from "@eastwest/proto";
import { errorMessage, nowNs, stampNs, ThrottledLog } from "@eastwest/common";
import type { Session } from "../control/sessions.ts";
import { identityProblem, LOOPBACK_ONLY, peerIdentity, serverSecurity, type GrpcSecurityConfig, type ServerSecurity } from "./grpc-tls.ts";
import type { Receiver, ReceiverDeps } from "./receiver.ts";
import { validateHello } from "./validate.ts";
import { decodeAgentMessage, decodeWithLimits, tryDecode, type Decoded } from "./decode.ts";
import { DEFAULT_LIMITS, LimitExceeded, limitOf, type IngestLimits } from "./limits.ts";
import { SessionSupersededError } from "./ingestor.ts";
import { BusyNotices } from "./busy.ts";
import { listenError } from "../listen.ts";

/** Connection management, as in the collector's `grpc` config; see config.ts. */
export interface GrpcConnectionOptions {
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxConnectionIdleMs: number;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  /** A stream whose batches wait this long without an ack is told so (busy.ts), again every busyNoticeMs. */
  busyNoticeMs: number;
}

export const DEFAULT_CONNECTION: GrpcConnectionOptions = { keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnectionIdleMs: 30_000, maxConnectionAgeMs: 86_400_000, maxConnectionAgeGraceMs: 300_000, busyNoticeMs: 10_000 };

export interface GrpcReceiverOptions extends ReceiverDeps {
  host: string;
  /** 0: any free port (see `port` after start). */
  port: number;
  connection?: GrpcConnectionOptions;
  /** grpc.insecure and grpc.tls; without: plaintext, loopback only. */
  security?: Omit<GrpcSecurityConfig, "host">;
}

/** grpc-js server options from the connection options and the message size limit. */
export function serverOptions(c: GrpcConnectionOptions, limits: IngestLimits): Record<string, number> {
  return {
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1000,
    "grpc.max_receive_message_length": limits.maxMessageBytes,
    "grpc.keepalive_time_ms": c.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": c.keepaliveTimeoutMs,
    "grpc.max_connection_idle_ms": c.maxConnectionIdleMs,
    "grpc.max_connection_age_ms": c.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": c.maxConnectionAgeGraceMs,
  };
}

type Raw = Buffer;
const raw = (b: Buffer): Raw => b;

// The generated service, with request decoding left to us.
const SERVICE = {
  connect: { ...TelemetryService.connect, requestDeserialize: raw, responseSerialize: (m: CollectorMessage) => Buffer.from(CollectorMessage.encode(m).finish()) },
  push: { ...TelemetryService.push, requestDeserialize: raw, responseSerialize: (m: Ack) => Buffer.from(Ack.encode(m).finish()) },
};

export class GrpcReceiver implements Receiver {
  readonly #o: GrpcReceiverOptions;
  readonly #server: Server;
  readonly #limits: IngestLimits;
  readonly #log: ThrottledLog;
  #port = 0;
  #calls = new Set<ServerDuplexStream<Raw, CollectorMessage>>();
  /** Streams paused while the ingest queue is full; they resume once it has drained. */
  readonly #paused = new Set<ServerDuplexStream<Raw, CollectorMessage>>();
  #closed = false;
  #security: ServerSecurity | undefined;
  readonly #busy: BusyNotices<ServerDuplexStream<Raw, CollectorMessage>>;

  constructor(o: GrpcReceiverOptions) {
    this.#o = o;
    this.#limits = o.limits ?? DEFAULT_LIMITS;
    this.#log = o.log ?? new ThrottledLog(o.logger);
    this.#busy = new BusyNotices((o.connection ?? DEFAULT_CONNECTION).busyNoticeMs, (call, busy) => void (call.destroyed || call.write({ msg: { $case: "busy", value: busy } })));
    // why: grpc-js writes its own lines ("E No address added out of total 1 resolved") to the console; what they
    // report reaches the collector as errors anyway, so they go to its log at debug, as JSON.
    const debug = (...args: unknown[]) => o.logger.debug({ grpc: args.map(String).join(" ").slice(0, 2000) }, "grpc-js");
    setLogger({ error: debug, info: debug, debug });
    this.#server = new Server(serverOptions(o.connection ?? DEFAULT_CONNECTION, this.#limits));
    this.#server.addService(SERVICE as never, {
      connect: (call: ServerDuplexStream<Raw, CollectorMessage>) => this.#guard("stream", () => this.#connect(call), () => call.destroy()),
      push: (call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>) =>
        void this.#push(call, cb).catch((err: unknown) => this.#guard("push", () => Promise.reject(err), () => cb({ code: status.INTERNAL, details: "internal error (logged by the collector)" }))),
    });
  }

  /** The error boundary: runs fn; what it throws (or rejects with) is counted, logged (throttled) and answered by fail. */
  #guard(where: string, fn: () => unknown, fail: () => void): void {
    const caught = (err: unknown) => {
      this.#o.stats.handlerErrors += 1n;
      this.#log.error(`grpc ${where} handler failed`, { err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, `grpc ${where} handler failed`);
      try {
        fail();
      } catch {
        // why: the call may already be closed; there is nothing left to answer.
      }
    };
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(caught);
    } catch (err) {
      caught(err);
    }
  }

  /** Counts and logs a refused frame; the limit, if one was exceeded, by name. */
  #refused(d: Extract<Decoded<unknown>, { ok: false }>, agentId: string | undefined): void {
    if (d.limit) this.#o.stats.refusedByLimit[d.limit] += 1n;
    else this.#o.stats.framesUndecodable += 1n;
    this.#log.warn(`frame refused ${d.limit ?? ""}`, { agentId, reason: d.reason }, d.limit ? "frame over a limit" : "undecodable frame");
  }

  /** The bound port after start(); 0 before. */
  get port(): number {
    return this.#port;
  }

  /** Rejects with ConfigError when the address or the TLS files do not allow a start (grpc-tls.ts). */
  start(): Promise<void> {
    const security = serverSecurity({ host: this.#o.host, ...(this.#o.security ?? LOOPBACK_ONLY) }, this.#o.logger);
    this.#security = security;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`${this.#o.host}:${this.#o.port}`, security.credentials, (err, port) => {
        if (err) return reject(listenError("gRPC", this.#o.host, this.#o.port, err));
        this.#port = port;
        resolve();
      });
    });
  }

  async #push(call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>): Promise<void> {
    const d = tryDecode(call.request, (b) => decodeWithLimits(b, undefined, undefined, this.#limits));
    if (!d.ok) {
      this.#refused(d, undefined);
      return cb({ code: status.INVALID_ARGUMENT, details: d.reason });
    }
    if (this.#o.ingestor.saturated) return cb({ code: status.UNAVAILABLE, details: "ingest queue full: retry" });
    try {
      const ack = await this.#o.ingestor.ingest(d.value);
      if (ack.code === 3) return cb({ code: status.INVALID_ARGUMENT, details: ack.reason });
      return cb(null, ack);
    } catch (err) {
      return cb({ code: status.UNAVAILABLE, details: errorMessage(err) });
    }
  }

  #connect(call: ServerDuplexStream<Raw, CollectorMessage>): void {
    this.#calls.add(call);
    let agentId: string | undefined;
    let epoch = 0n;
    const identity = peerIdentity(call);
    const session: Session = {
      agentId: "",
      certificate: identity?.fingerprint,
      send: (cmd: Command) => call.write({ msg: { $case: "command", value: cmd } }),
      close: (reason) => endWithStatus(call, status.ABORTED, reason),
    };
    const fail = (code: number, reason: string) => call.write({ msg: { $case: "error", value: { code, reason } } });
    const frame = (buf: Raw): unknown => {
      const receivedNs = stampNs();
      const d = tryDecode(buf, (b) => decodeAgentMessage(b, this.#limits));
      if (!d.ok) {
        this.#refused(d, agentId);
        return fail(d.limit ? status.RESOURCE_EXHAUSTED : status.INVALID_ARGUMENT, d.reason);
      }
      const m = d.value;
      if (!m) return fail(status.INVALID_ARGUMENT, "empty message");
      if (m.$case === "hello") return this.#hello(call, m.value, session, (id, e) => ((agentId = id), (epoch = e)), receivedNs);
      if (m.$case === "result") return this.#o.sessions.onResult(m.value);
      if (agentId === undefined) return fail(status.FAILED_PRECONDITION, "send hello before batches");
      if (m.$case === "clockProbe") return this.#clockProbe(call, agentId, m.value, receivedNs);
      this.#busy.admitted(call);
      const acked = this.#o.ingestor.ingest(m.value, agentId, { epoch, late: false }).then(
        (ack) => (this.#busy.settled(call), call.write({ msg: { $case: "ack", value: ack } })),
        (err) => (this.#busy.settled(call), endWithStatus(call, err instanceof SessionSupersededError ? status.ABORTED : status.UNAVAILABLE, errorMessage(err))),
      );
      if (this.#o.ingestor.saturated) this.#pause(call);
      return acked;
    };
    call.on("data", (buf: Raw) => this.#guard("frame", () => frame(buf), () => fail(status.INTERNAL, "internal error (logged by the collector)")));
    const done = () => {
      this.#paused.delete(call);
      this.#busy.forget(call);
      if (!this.#calls.delete(call)) return;
      if (session.agentId) this.#o.sessions.detach(session);
      if (agentId) void this.#o.onDisconnect(agentId).catch(() => undefined);
    };
    call.on("end", () => {
      done();
      call.end();
    });
    call.on("error", done);
    call.on("close", done);
    call.on("cancelled", done);
  }

  /** Stops reading the stream until the ingest queue has drained; the first pause of a round waits for it. */
  #pause(call: ServerDuplexStream<Raw, CollectorMessage>): void {
    if (this.#paused.has(call)) return;
    call.pause();
    this.#o.stats.streamsPaused += 1n;
    const first = this.#paused.size === 0;
    this.#paused.add(call);
    if (!first) return;
    void this.#o.ingestor.drained().then(() => {
      const calls = [...this.#paused];
      this.#paused.clear();
      for (const c of calls) if (!c.destroyed) c.resume();
    });
  }

  /** A Welcome when the ledger's highest seq can be read (a store that cannot write does not stop it), else UNAVAILABLE. */
  async #hello(call: ServerDuplexStream<Raw, CollectorMessage>, hello: Hello, session: Session, setId: (id: string, epoch: bigint) => void, receivedNs: bigint): Promise<void> {
    const problems = validateHello(hello, this.#limits);
    if (problems.length > 0) {
      const limit = problems.map(limitOf).find((l) => l !== undefined);
      if (limit) this.#o.stats.refusedByLimit[limit] += 1n;
      this.#log.warn(`hello rejected ${limit ?? ""}`, { agentId: hello.agentId, problems }, "hello rejected");
      call.write({ msg: { $case: "error", value: { code: limit ? status.RESOURCE_EXHAUSTED : status.INVALID_ARGUMENT, reason: `hello rejected: ${problems.join("; ")}` } } });
      call.end();
      return;
    }
    const refused = identityProblem(hello.agentId, peerIdentity(call), this.#security?.requireClientCert ?? false);
    if (refused) return this.#refuse(call, hello.agentId, `hello refused: ${refused}`);
    session.agentId = hello.agentId;
    const attached = this.#o.sessions.attach(session);
    if (!attached.ok) return (session.agentId = ""), this.#refuse(call, hello.agentId, `hello refused: ${attached.reason}`);
    try {
      const highestSeq = await this.#o.highestSeq(hello.agentId);
      const { epoch } = await this.#o.beginSession(hello.agentId, "", highestSeq);
      await this.#o.onHello(hello);
      setId(hello.agentId, epoch);
      this.#o.logger.info({ agentId: hello.agentId, hostname: hello.hostname, netns: hello.netns, highestSeq: String(highestSeq), epoch: String(epoch), atNs: String(nowNs()) }, "agent connected");
      const clock = this.#o.clocks?.toWire(hello.agentId);
      call.write({ msg: { $case: "welcome", value: { collectorId: this.#o.collectorId, highestSeq, epoch, receivedNs, sentNs: stampNs(), clockProbes: this.#o.clocks !== undefined, clock } } });
    } catch (err) {
      this.#o.sessions.detach(session);
      if (!(err instanceof LimitExceeded)) return endWithStatus(call, status.UNAVAILABLE, `hello failed: ${errorMessage(err)}`);
      this.#o.stats.refusedByLimit[err.limit] += 1n;
      this.#log.warn(`hello refused ${err.limit}`, { agentId: hello.agentId, reason: err.message }, "hello refused");
      call.write({ msg: { $case: "error", value: { code: status.RESOURCE_EXHAUSTED, reason: `hello refused: ${err.message}` } } });
      call.end();
    }
  }

  /** A clock probe: the exchange it reports goes to the estimate; the reply carries t2, t3 and the estimate. */
  #clockProbe(call: ServerDuplexStream<Raw, CollectorMessage>, agentId: string, probe: ClockProbe, receivedNs: bigint): void {
    const clocks = this.#o.clocks;
    if (clocks === undefined) return;
    if (probe.last !== undefined) clocks.report(agentId, probe.last, "grpc");
    call.write({ msg: { $case: "clockReply", value: { probeSentNs: probe.sentNs, receivedNs, sentNs: stampNs(), estimate: clocks.toWire(agentId) } } });
  }

  #refuse(call: ServerDuplexStream<Raw, CollectorMessage>, agentId: string, reason: string): void {
    this.#o.logger.warn({ agentId, peer: call.getPeer(), reason }, "agent refused");
    endWithStatus(call, status.PERMISSION_DENIED, reason);
  }

  /** Stops accepting, ends open streams (their sessions detach). Safe twice and without start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#busy.close();
    this.#security?.close();
    for (const c of this.#calls) c.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (this.#server.forceShutdown(), resolve()), 2000);
      this.#server.tryShutdown(() => (clearTimeout(t), resolve()));
    });
  }
}

/**
 * Ends a stream with a status the agent receives. why: call.destroy(err) tears the stream down without sending
 * any status (grpc-js 1.14), so the agent waited on it for good; an "error" event makes grpc-js send it.
 */
function endWithStatus(call: ServerDuplexStream<Raw, CollectorMessage>, code: status, details: string): void {
  if (call.destroyed || call.writableEnded) return;
  call.emit("error", Object.assign(new Error(details), { code, details }));
}

