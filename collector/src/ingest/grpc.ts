// The collector's gRPC receiver. Frames are decoded here (not by grpc-js) so
// a malformed frame becomes a StreamError / INVALID_ARGUMENT with the reason
// instead of a torn-down call; nothing else on the stream is lost.
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { AgentMessage, CollectorMessage, TelemetryService, Ack, type Command, type Hello } from "@eastwest/proto";
import { errorMessage, nowNs, type Logger } from "@eastwest/common";
import type { Ingestor } from "./ingestor.ts";
import type { Session, Sessions } from "./sessions.ts";
import type { PipelineStats } from "./stats.ts";
import { decodeWithLimits, validateHello } from "./validate.ts";
import { agentMessageBatch, type DecodedBatch } from "@eastwest/proto/wire";

export interface GrpcReceiverOptions {
  host: string;
  port: number;
  collectorId: string;
  ingestor: Ingestor;
  sessions: Sessions;
  stats: PipelineStats;
  logger: Logger;
  highestSeq: (agentId: string) => Promise<bigint>;
  onHello: (hello: Hello) => Promise<void>;
  onDisconnect: (agentId: string) => Promise<void>;
}

type Raw = Buffer;
const raw = (b: Buffer): Raw => b;

// The generated service, with request decoding left to us.
const SERVICE = {
  connect: { ...TelemetryService.connect, requestDeserialize: raw, responseSerialize: (m: CollectorMessage) => Buffer.from(CollectorMessage.encode(m).finish()) },
  push: { ...TelemetryService.push, requestDeserialize: raw, responseSerialize: (m: Ack) => Buffer.from(Ack.encode(m).finish()) },
};

type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

function decode<T>(b: Buffer, fn: (b: Buffer) => T): Decoded<T> {
  try {
    return { ok: true, value: fn(b) };
  } catch (err) {
    return { ok: false, reason: `undecodable frame (${b.length} bytes): ${errorMessage(err)}` };
  }
}

type Incoming = { $case: "batch"; value: DecodedBatch } | Exclude<AgentMessage["msg"], { $case: "batch" }>;

/** Batches take the single-pass decoder; hello and command results the generated code. */
function decodeAgentMessage(b: Buffer): Incoming {
  const at = agentMessageBatch(b);
  if (at) return { $case: "batch", value: decodeWithLimits(b, at.start, at.end) };
  // why: agentMessageBatch found no batch as the frame's last message, so the generated decoder finds none either.
  return AgentMessage.decode(b).msg as Exclude<AgentMessage["msg"], { $case: "batch" }>;
}

export class GrpcReceiver {
  readonly #o: GrpcReceiverOptions;
  readonly #server = new Server({ "grpc.keepalive_permit_without_calls": 1, "grpc.http2.min_ping_interval_without_data_ms": 1000, "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  #port = 0;
  #calls = new Set<ServerDuplexStream<Raw, CollectorMessage>>();
  #closed = false;

  constructor(o: GrpcReceiverOptions) {
    this.#o = o;
    this.#server.addService(SERVICE as never, {
      connect: (call: ServerDuplexStream<Raw, CollectorMessage>) => this.#connect(call),
      push: (call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>) => void this.#push(call, cb),
    });
  }

  get port(): number {
    return this.#port;
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`${this.#o.host}:${this.#o.port}`, ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        this.#port = port;
        resolve(port);
      });
    });
  }

  async #push(call: ServerUnaryCall<Raw, Ack>, cb: sendUnaryData<Ack>): Promise<void> {
    const d = decode(call.request, (b) => decodeWithLimits(b));
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
    const session: Session = { agentId: "", send: (cmd: Command) => call.write({ msg: { $case: "command", value: cmd } }) };
    const fail = (code: number, reason: string) => call.write({ msg: { $case: "error", value: { code, reason } } });
    call.on("data", (buf: Raw) => {
      const d = decode(buf, decodeAgentMessage);
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
    try {
      await this.#o.onHello(hello);
      const highestSeq = await this.#o.highestSeq(hello.agentId);
      setId(hello.agentId);
      session.agentId = hello.agentId;
      this.#o.sessions.attach(session);
      this.#o.logger.info({ agentId: hello.agentId, hostname: hello.hostname, netns: hello.netns, highestSeq: String(highestSeq), atNs: String(nowNs()) }, "agent connected");
      call.write({ msg: { $case: "welcome", value: { collectorId: this.#o.collectorId, highestSeq } } });
    } catch (err) {
      call.destroy(Object.assign(new Error(`hello failed: ${errorMessage(err)}`), { code: status.UNAVAILABLE }));
    }
  }

  /** Stops accepting, ends open streams. Safe twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#calls) c.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (this.#server.forceShutdown(), resolve()), 2000);
      this.#server.tryShutdown(() => (clearTimeout(t), resolve()));
    });
  }
}
