// A well-behaved agent for the fuzzer: the real protocol on the Connect stream (Hello, Welcome, batches with
// increasing seqs, acks), a batch every intervalMs while hostile peers fuzz the same collector. It reconnects
// and resends what is unacked when its stream breaks, as the real agent does. stop() waits for the acks and says
// which seqs were never stored: the fuzzer's evidence that the good agent's data is complete.
import { Client, credentials, Metadata, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { AckCode, AgentMessage, CollectorMessage } from "@eastwest/proto";
import { helloOf, netdevPoint } from "./frames.ts";

export interface GoodAgentReport {
  agentId: string;
  batchesSent: number;
  stored: number;
  duplicate: number;
  /** Seqs acked INVALID, with the reason: a good batch refused is a finding. */
  refused: string[];
  /** Seqs sent and never acked stored or duplicate. */
  missing: string[];
  reconnects: number;
  /** Why the stream broke, each time it did. */
  streamErrors: string[];
}

type Call = ClientDuplexStream<Buffer, CollectorMessage>;

export class GoodAgent {
  readonly agentId: string;
  readonly #client: Client;
  readonly #intervalMs: number;
  readonly #unacked = new Map<bigint, Buffer>();
  readonly #report: GoodAgentReport;
  #nextSeq = 0n;
  #call: Call | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #welcomed: (() => void) | undefined;
  #allAcked: (() => void) | undefined;

  constructor(address: string, agentId: string, intervalMs = 50) {
    this.agentId = agentId;
    this.#intervalMs = intervalMs;
    this.#client = new Client(address, credentials.createInsecure());
    this.#report = { agentId, batchesSent: 0, stored: 0, duplicate: 0, refused: [], missing: [], reconnects: 0, streamErrors: [] };
  }

  /** Says hello and starts streaming; resolves on the first Welcome (rejects after 10 s without one). */
  async start(): Promise<void> {
    await this.#connect();
    this.#timer = setInterval(() => this.#send(), this.#intervalMs);
  }

  #connect(): Promise<void> {
    const call: Call = this.#client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    this.#call = call;
    call.on("data", (m: CollectorMessage) => this.#onMessage(m));
    call.on("error", (err: ServiceError) => this.#broken(call, `${err.code}: ${err.details}`));
    call.on("end", () => this.#broken(call, "stream ended by the collector"));
    call.write(Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: helloOf(this.agentId, "good") } }).finish()));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.agentId}: no Welcome within 10 s`)), 10_000);
      this.#welcomed = () => (clearTimeout(t), resolve());
    });
  }

  #onMessage(m: CollectorMessage): void {
    const msg = m.msg;
    if (msg?.$case === "welcome") {
      if (this.#nextSeq === 0n) this.#nextSeq = msg.value.highestSeq + 1n;
      // Resend what the broken stream left unacked, under the same seqs.
      for (const frame of this.#unacked.values()) this.#call?.write(frame);
      this.#welcomed?.();
      this.#welcomed = undefined;
    } else if (msg?.$case === "ack") {
      const { seq, code, reason } = msg.value;
      if (!this.#unacked.delete(seq)) return;
      if (code === AckCode.ACK_CODE_STORED) this.#report.stored++;
      else if (code === AckCode.ACK_CODE_DUPLICATE) this.#report.duplicate++;
      else this.#report.refused.push(`${seq}: ${reason.slice(0, 200)}`);
      if (this.#unacked.size === 0) this.#allAcked?.();
    }
  }

  #broken(call: Call, why: string): void {
    if (call !== this.#call || this.#stopping) return;
    this.#call = undefined;
    this.#report.streamErrors.push(why);
    this.#report.reconnects++;
    setTimeout(() => void this.#connect().catch((err: unknown) => this.#report.streamErrors.push(String(err))), 200).unref();
  }

  #send(): void {
    if (this.#call === undefined || this.#nextSeq === 0n) return;
    const seq = this.#nextSeq++;
    const points = Array.from({ length: 20 }, (_, i) => netdevPoint(this.agentId, `good${i}`, seq * 100n + BigInt(i)));
    const frame = Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: { agentId: this.agentId, seq, points, createdNs: BigInt(Date.now()) * 1_000_000n } } }).finish());
    this.#unacked.set(seq, frame);
    this.#report.batchesSent++;
    this.#call.write(frame);
  }

  /** Stops sending, waits up to waitMs for the outstanding acks, ends the stream, reports. */
  async stop(waitMs = 15_000): Promise<GoodAgentReport> {
    clearInterval(this.#timer);
    if (this.#unacked.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.#allAcked = () => (clearTimeout(t), resolve());
      });
    }
    this.#stopping = true;
    this.#report.missing = [...this.#unacked.keys()].map(String);
    this.#call?.end();
    this.#client.close();
    return this.#report;
  }
}
