// The collector's gRPC receiver. Frames are decoded here (not by grpc-js) so
// a malformed frame becomes a StreamError / INVALID_ARGUMENT with the reason
// instead of a torn-down call; nothing else on the stream is lost.
// The stream is the agent's session: its hello begins one (a new epoch, in
// the Welcome), and its batches are admitted under that epoch only.
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { CollectorMessage, TelemetryService, Ack, type Command, type Hello } from "@eastwest/proto";
import { errorMessage, nowNs } from "@eastwest/common";
import type { Session } from "../control/sessions.ts";
import type { Receiver, ReceiverDeps } from "./receiver.ts";
import { validateHello } from "./validate.ts";
import { decodeAgentMessage, decodeWithLimits, tryDecode } from "./decode.ts";
import { SessionSupersededError } from "./ingestor.ts";

export interface GrpcReceiverOptions extends ReceiverDeps {
  host: string;
  /** 0: any free port (see `port` after start). */
  port: number;
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

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`${this.#o.host}:${this.#o.port}`, ServerCredentials.createInsecure(), (err, port) => {
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
    let epoch = 0n;
    const session: Session = { agentId: "", send: (cmd: Command) => call.write({ msg: { $case: "command", value: cmd } }) };
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
      if (m.$case === "hello") return void this.#hello(call, m.value, session, (id, e) => ((agentId = id), (epoch = e)));
      if (m.$case === "result") return this.#o.sessions.onResult(m.value);
      if (agentId === undefined) return fail(status.FAILED_PRECONDITION, "send hello before batches");
      this.#o.ingestor.ingest(m.value, agentId, { epoch, late: false }).then(
        (ack) => call.write({ msg: { $case: "ack", value: ack } }),
        (err) => endWithStatus(call, err instanceof SessionSupersededError ? status.ABORTED : status.UNAVAILABLE, errorMessage(err)),
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

  /** A Welcome when the ledger's highest seq can be read (a store that cannot write does not stop it), else UNAVAILABLE. */
  async #hello(call: ServerDuplexStream<Raw, CollectorMessage>, hello: Hello, session: Session, setId: (id: string, epoch: bigint) => void): Promise<void> {
    const problems = validateHello(hello);
    if (problems.length > 0) {
      call.write({ msg: { $case: "error", value: { code: status.INVALID_ARGUMENT, reason: `hello rejected: ${problems.join("; ")}` } } });
      call.end();
      return;
    }
    try {
      const highestSeq = await this.#o.highestSeq(hello.agentId);
      const { epoch } = await this.#o.beginSession(hello.agentId, "", highestSeq);
      await this.#o.onHello(hello);
      setId(hello.agentId, epoch);
      session.agentId = hello.agentId;
      this.#o.sessions.attach(session);
      this.#o.logger.info({ agentId: hello.agentId, hostname: hello.hostname, netns: hello.netns, highestSeq: String(highestSeq), epoch: String(epoch), atNs: String(nowNs()) }, "agent connected");
      call.write({ msg: { $case: "welcome", value: { collectorId: this.#o.collectorId, highestSeq, epoch } } });
    } catch (err) {
      endWithStatus(call, status.UNAVAILABLE, `hello failed: ${errorMessage(err)}`);
    }
  }

  /** Stops accepting, ends open streams (their sessions detach). Safe twice and without start. */
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

/**
 * Ends a stream with a status the agent receives. why: call.destroy(err) tears the stream down without sending
 * any status (grpc-js 1.14), so the agent waited on it for good; an "error" event makes grpc-js send it.
 */
function endWithStatus(call: ServerDuplexStream<Raw, CollectorMessage>, code: status, details: string): void {
  if (call.destroyed || call.writableEnded) return;
  call.emit("error", Object.assign(new Error(details), { code, details }));
}
