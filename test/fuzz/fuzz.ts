// The fuzzer: hostile frames (frames.ts: random bytes, mutated valid frames, wrong types, NaN/Infinity, invalid
// UTF-8, huge tags, many fields and series, huge tag numbers, seq edges, 12 MB hellos) sent over real gRPC streams
// to a running collector while a good agent (good-agent.ts) streams to it. It reports the frames sent per kind and
// the collector's answers by reason, and what went wrong: the good agent's data incomplete (a seq never stored or
// refused), /healthz not answering, the collector process gone. runFuzz is the module entry point (the CI test,
// the fault suite); run.ts is the command line.
import { Client, credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { AckCode, CollectorMessage } from "@eastwest/proto";
import { HOSTILE, helloFrame, helloOf } from "./frames.ts";
import { GoodAgent, type GoodAgentReport } from "./good-agent.ts";
import { int, pick, seeded, type Rng } from "./mutate.ts";

export interface FuzzOptions {
  /** grpc://host:port */
  target: string;
  seconds: number;
  /** Default: random (printed in the report, to replay a run). */
  seed?: number;
  /** Hostile streams at once. Default 4. */
  streams?: number;
  /** The collector's HTTP API (http://host:port): /healthz is polled throughout. */
  http?: string;
  /** The collector's pid: checked alive at the end. */
  pid?: number;
  /** The good agent's id. Default good-<seed>. */
  goodAgentId?: string;
}

export interface FuzzReport {
  target: string;
  seed: number;
  seconds: number;
  framesSent: number;
  sentByKind: Record<string, number>;
  /** The collector's answers, by kind of answer and reason (limit names, status codes, reason text without numbers). */
  answers: Record<string, number>;
  good: GoodAgentReport;
  healthz: { ok: number; failed: number };
  /** Everything that should not have happened; empty when the collector held. */
  problems: string[];
}

/** How often each kind is picked: the big ones rarely, so that the run sends many frames. */
const WEIGHTS: Record<string, number> = { hello_12mb: 1, many_series: 3, many_fields: 5, huge_tags: 5, batch_before_hello: 5 };
const ANSWER_WAIT_MS = 300;

/** An answer's class: the limit it names, else its text with numbers and quoted values taken out. */
export function reasonClass(reason: string): string {
  const limit = /limit (max[A-Za-z]+)/.exec(reason);
  if (limit) return `limit ${limit[1]}`;
  return reason
    .replace(/point \d+ \([^)]*\): /g, "")
    .replace(/"[^"]*"|\([^)]*\)/g, "…")
    .replace(/\d+/g, "N")
    .slice(0, 60);
}

function pickKind(rng: Rng): string {
  const kinds = Object.keys(HOSTILE);
  const total = kinds.reduce((s, k) => s + (WEIGHTS[k] ?? 20), 0);
  let r = rng() * total;
  for (const k of kinds) if ((r -= WEIGHTS[k] ?? 20) < 0) return k;
  return pick(rng, kinds);
}

type Call = ClientDuplexStream<Buffer, CollectorMessage>;
type Event = { m: CollectorMessage } | { err: ServiceError } | { end: true };

/** One stream of the fuzzer; the next event is awaited with a deadline. */
class FuzzStream {
  readonly #call: Call;
  readonly #events: Event[] = [];
  #waiter: (() => void) | undefined;
  closed = false;
  /** Whether the stream began with a hello. */
  readonly hello: boolean;

  constructor(client: Client, hello: boolean) {
    this.hello = hello;
    this.#call = client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    const push = (e: Event) => {
      if ("err" in e || "end" in e) this.closed = true;
      this.#events.push(e);
      this.#waiter?.();
    };
    this.#call.on("data", (m: CollectorMessage) => push({ m }));
    this.#call.on("error", (err: ServiceError) => push({ err }));
    this.#call.on("end", () => push({ end: true }));
  }

  send(frame: Buffer): void {
    if (!this.closed) this.#call.write(frame);
  }

  async next(ms: number): Promise<Event | undefined> {
    if (this.#events.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.#waiter = () => (clearTimeout(t), resolve());
      });
      this.#waiter = undefined;
    }
    return this.#events.shift();
  }

  close(): void {
    this.#call.cancel();
  }
}

function answerOf(e: Event | undefined): string {
  if (e === undefined) return "no answer";
  if ("end" in e) return "stream ended";
  if ("err" in e) return `stream failed: ${status[e.err.code] ?? e.err.code}: ${reasonClass(e.err.details ?? "")}`;
  const msg = e.m.msg;
  if (msg?.$case === "welcome") return "accepted: welcome";
  if (msg?.$case === "clockReply") return "accepted: clock reply";
  if (msg?.$case === "error") return `refused: ${status[msg.value.code] ?? msg.value.code}: ${reasonClass(msg.value.reason)}`;
  if (msg?.$case === "ack") {
    if (msg.value.code === AckCode.ACK_CODE_STORED) return "accepted: stored";
    if (msg.value.code === AckCode.ACK_CODE_DUPLICATE) return "accepted: duplicate";
    return `refused: ack invalid: ${reasonClass(msg.value.reason)}`;
  }
  return `other: ${msg?.$case ?? "empty"}`;
}

const bump = (r: Record<string, number>, k: string) => (r[k] = (r[k] ?? 0) + 1);

/** One hostile peer until the deadline: a stream with a hello (or without, for batch_before_hello), then frames. */
async function hostilePeer(client: Client, id: string, rng: Rng, deadline: number, report: FuzzReport): Promise<void> {
  let stream: FuzzStream | undefined;
  while (Date.now() < deadline) {
    const kind = pickKind(rng);
    const hello = kind !== "batch_before_hello";
    if (stream === undefined || stream.closed || stream.hello !== hello) {
      stream?.close();
      stream = new FuzzStream(client, hello);
      if (hello) {
        stream.send(helloFrame(helloOf(id)));
        await stream.next(2000);
      }
    }
    const frame = (HOSTILE[kind] as (rng: Rng, id: string) => Buffer)(rng, id);
    stream.send(frame);
    report.framesSent++;
    bump(report.sentByKind, kind);
    let e = await stream.next(ANSWER_WAIT_MS);
    // why: a command sent to the fuzz agent is not an answer to the frame.
    while (e !== undefined && "m" in e && e.m.msg?.$case === "command") e = await stream.next(ANSWER_WAIT_MS);
    bump(report.answers, answerOf(e));
  }
  stream?.close();
}

async function pollHealth(url: string, until: () => boolean, report: FuzzReport): Promise<void> {
  while (!until()) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) report.healthz.ok++;
      else report.healthz.failed++;
    } catch {
      report.healthz.failed++;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Fuzzes the collector at opts.target for opts.seconds while a good agent streams; see FuzzReport. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const url = new URL(opts.target);
  if (url.protocol !== "grpc:") throw new Error(`unsupported target ${opts.target} (grpc://host:port)`);
  const address = url.host;
  const seed = opts.seed ?? int(Math.random, 2 ** 31);
  const rng = seeded(seed);
  const report: FuzzReport = { target: opts.target, seed, seconds: opts.seconds, framesSent: 0, sentByKind: {}, answers: {}, good: undefined as never, healthz: { ok: 0, failed: 0 }, problems: [] };
  const good = new GoodAgent(address, opts.goodAgentId ?? `good-${seed}`);
  await good.start();
  const deadline = Date.now() + opts.seconds * 1000;
  let done = false;
  const health = opts.http ? pollHealth(opts.http, () => done, report) : Promise.resolve();
  const client = new Client(address, credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024 });
  const peers = Array.from({ length: opts.streams ?? 4 }, (_, i) => hostilePeer(client, `fuzz-${seed}-${i}`, seeded(seed + i + 1), deadline, report));
  await Promise.all(peers);
  client.close();
  report.good = await good.stop();
  done = true;
  await health;
  judge(report, opts);
  return report;
}

function judge(r: FuzzReport, opts: FuzzOptions): void {
  const g = r.good;
  if (g.missing.length > 0) r.problems.push(`good agent: ${g.missing.length} of ${g.batchesSent} batches never acked (first ${g.missing.slice(0, 5).join(", ")})`);
  if (g.refused.length > 0) r.problems.push(`good agent: ${g.refused.length} batches refused: ${g.refused.slice(0, 3).join("; ")}`);
  if (g.reconnects > 0) r.problems.push(`good agent: its stream broke ${g.reconnects} times: ${g.streamErrors.slice(0, 3).join("; ")}`);
  if (g.stored + g.duplicate !== g.batchesSent) r.problems.push(`good agent: ${g.batchesSent} sent, ${g.stored} stored, ${g.duplicate} duplicate`);
  if (opts.http && r.healthz.failed > 0) r.problems.push(`/healthz failed ${r.healthz.failed} times (answered ${r.healthz.ok})`);
  if (opts.pid !== undefined) {
    try {
      process.kill(opts.pid, 0);
    } catch {
      r.problems.push(`collector process ${opts.pid} is gone`);
    }
  }
}
