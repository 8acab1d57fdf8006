// The collector's gRPC receiver. Frames are decoded here (not by grpc-js) so
// a malformed frame becomes a StreamError / INVALID_ARGUMENT with the reason
// instead of a torn-down call; nothing else on the stream is lost. TLS and
// who may say hello as which agent: grpc-tls.ts.
import { Server, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { CollectorMessage, TelemetryService, Ack, type Command, type Hello } from "@eastwest/proto";
import { errorMessage, nowNs } from "@eastwest/common";
import type { Session } from "../control/sessions.ts";
import { identityProblem, LOOPBACK_ONLY, peerIdentity, serverSecurity, type GrpcSecurityConfig, type ServerSecurity } from "./grpc-tls.ts";
import type { Receiver, ReceiverDeps } from "./receiver.ts";
import { validateHello } from "./validate.ts";
import { decodeAgentMessage, decodeWithLimits, tryDecode } from "./decode.ts";

export interface GrpcReceiverOptions extends ReceiverDeps {
  host: string;
  /** 0: any free port (see `port` after start). */
  port: number;
  /** grpc.insecure and grpc.tls; without: plaintext, loopback only. */
  security?: Omit<GrpcSecurityConfig, "host">;
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
  readonly #server = new Server({ "grpc.keepalive_permit_without_calls": 1, "grpc.http2.min_ping_interval_without_data_ms": 1000, "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  #port = 0;
  #calls = new Set<ServerDuplexStream<Raw, CollectorMessage>>();
  #closed = false;
  #security: ServerSecurity | undefined;

  constructor(o: GrpcReceiverOptions) {
    this.#o = o;
    this.#server.addService(SERVICE as never, {
      connect: (call: ServerDuplexStream<Raw, CollectorMessage>) => this.#connect(call),
      push: (call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>) => void this.#push(call, cb),
    });
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
        if (err) return reject(err);
        this.#port = port;
        resolve();
      });
    });
  }

  async #push(call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>): Promise<void> {
    const d = tryDecode(call.request, (b) => decodeWithLimits(b));
    if (!d.ok) {
      this.#o.stats.framesUndecodable += 1n;
      return cb({ code: status.INVALID_ARGUMENT, details: d.reason });
    }
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
    const identity = peerIdentity(call);
    const session: Session = {
      agentId: "",
      certificate: identity?.fingerprint,
      send: (cmd: Command) => call.write({ msg: { $case: "command", value: cmd } }),
      close: (reason) => endWithStatus(call, status.ABORTED, reason),
    };
    const fail = (code: number, reason: string) => call.write({ msg: { $case: "error", value: { code, reason } } });
    call.on("data", (buf: Raw) => {
      const d = tryDecode(buf, decodeAgentMessage);
      if (!d.ok) {
        this.#o.stats.framesUndecodable += 1n;
        this.#o.logger.warn({ agentId, reason: d.reason }, "undecodable frame");
        return fail(status.INVALID_ARGUMENT, d.reason);
      }
      const m = d.value;
      if (!m) return fail(status.INVALID_ARGUMENT, "empty message");
      if (m.$case === "hello") return void this.#hello(call, m.value, session, (id) => (agentId = id));
      if (m.$case === "result") return this.#o.sessions.onResult(m.value);
      if (agentId === undefined) return fail(status.FAILED_PRECONDITION, "send hello before batches");
      this.#o.ingestor.ingest(m.value, agentId).then(
        (ack) => call.write({ msg: { $case: "ack", value: ack } }),
        (err) => call.destroy(Object.assign(new Error(errorMessage(err)), { code: status.UNAVAILABLE })),
      );
    });
    const done = () => {
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

  async #hello(call: ServerDuplexStream<Raw, CollectorMessage>, hello: Hello, session: Session, setId: (id: string) => void): Promise<void> {
    const problems = validateHello(hello);
    if (problems.length > 0) {
      call.write({ msg: { $case: "error", value: { code: status.INVALID_ARGUMENT, reason: `hello rejected: ${problems.join("; ")}` } } });
      call.end();
      return;
    }
    const refused = identityProblem(hello.agentId, peerIdentity(call), this.#security?.requireClientCert ?? false);
    if (refused) return this.#refuse(call, hello.agentId, `hello refused: ${refused}`);
    session.agentId = hello.agentId;
    const attached = this.#o.sessions.attach(session);
    if (!attached.ok) return (session.agentId = ""), this.#refuse(call, hello.agentId, `hello refused: ${attached.reason}`);
    try {
      await this.#o.onHello(hello);
      const highestSeq = await this.#o.highestSeq(hello.agentId);
      setId(hello.agentId);
      this.#o.logger.info({ agentId: hello.agentId, hostname: hello.hostname, netns: hello.netns, highestSeq: String(highestSeq), atNs: String(nowNs()) }, "agent connected");
      call.write({ msg: { $case: "welcome", value: { collectorId: this.#o.collectorId, highestSeq } } });
    } catch (err) {
      this.#o.sessions.detach(session);
      call.destroy(Object.assign(new Error(`hello failed: ${errorMessage(err)}`), { code: status.UNAVAILABLE }));
    }
  }

  #refuse(call: ServerDuplexStream<Raw, CollectorMessage>, agentId: string, reason: string): void {
    this.#o.logger.warn({ agentId, peer: call.getPeer(), reason }, "agent refused");
    endWithStatus(call, status.PERMISSION_DENIED, reason);
  }

  /** Stops accepting, ends open streams (their sessions detach). Safe twice and without start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#security?.close();
    for (const c of this.#calls) c.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (this.#server.forceShutdown(), resolve()), 2000);
      this.#server.tryShutdown(() => (clearTimeout(t), resolve()));
    });
  }
}

/** Ends a stream with a gRPC status. why: emitting "error" on a server stream sets its status and ends it cleanly. */
function endWithStatus(call: ServerDuplexStream<Raw, CollectorMessage>, code: status, details: string): void {
  call.emit("error", Object.assign(new Error(details), { code, details }));
}
