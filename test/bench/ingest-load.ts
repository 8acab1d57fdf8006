// A synthetic agent that speaks the real protocol on the Connect stream:
// Hello, wait for Welcome, then batches with strictly increasing seq and a
// window of unacked batches, each acked before the next one takes its slot.
//
// Batches are encoded once as a template and then only patched (seq, times),
// so the generator costs little next to the server it drives and both servers
// of the ingest benchmark receive byte-identical traffic.
import { Client, credentials, Metadata, type ClientDuplexStream } from "@grpc/grpc-js";
import { AckCode, AgentMessage, Batch, CollectorMessage, Point, type Hello } from "@eastwest/proto";
import { toWirePoint, type FieldValue } from "@eastwest/common";

const NETDEV_COUNTERS = [
  "rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
  "tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed",
];
const NETDEV_RATES = ["rx_bytes_per_s", "tx_bytes_per_s", "rx_packets_per_s", "tx_packets_per_s"];
const INTERFACES = 50;
const TICK_NS = 100_000_000n;
// why: a time_ns near now (> 2^56 ns) is always a 9-byte varint, so it can be rewritten in place.
export const TIME_VARINT_BYTES = 9;

/** netdev points as the agent sends them: 50 interfaces x (points / 50) ticks, 16 counters + 4 rates each. */
export function netdevPoints(agentId: string, count: number, baseNs: bigint): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < count; i++) {
    const tick = BigInt(Math.floor(i / INTERFACES));
    const fields: Record<string, FieldValue> = {};
    NETDEV_COUNTERS.forEach((c, k) => (fields[`${c}_total`] = BigInt(i) * 1_000_003n + BigInt(k) * 65_537n + tick * 1_460n));
    NETDEV_RATES.forEach((r, k) => (fields[r] = 1.25e9 / (k + 1) + i));
    const tags = { agent_id: agentId, host: "bench-host", netns: "net:[4026531840]", interface: `vnet${i % INTERFACES}` };
    out.push(toWirePoint({ measurement: "netdev", tags, fields, timeNs: baseNs + tick * TICK_NS }));
  }
  return out;
}

export function varint(n: bigint): number[] {
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

export function writeVarint9(buf: Buffer, at: number, n: bigint): void {
  for (let k = 0; k < TIME_VARINT_BYTES; k++) {
    const bits = Number((n >> BigInt(7 * k)) & 0x7fn);
    buf[at + k] = k < TIME_VARINT_BYTES - 1 ? bits | 0x80 : bits;
  }
}

/** Encodes AgentMessage{batch} frames from one template of points. */
export class BatchEncoder {
  readonly agentId: string;
  readonly pointsPerBatch: number;
  readonly #block: Buffer;
  readonly #timeOffsets: number[] = [];
  readonly #pointTimes: bigint[];
  readonly #baseNs: bigint;
  /** Simulated time one batch covers: batch k's points start at base + k * spanNs. */
  readonly #spanNs: bigint;

  constructor(agentId: string, pointsPerBatch: number, baseNs: bigint) {
    this.agentId = agentId;
    this.pointsPerBatch = pointsPerBatch;
    this.#baseNs = baseNs;
    const points = netdevPoints(agentId, pointsPerBatch, baseNs);
    this.#pointTimes = points.map((p) => p.timeNs - baseNs);
    this.#spanNs = BigInt(Math.ceil(pointsPerBatch / INTERFACES)) * TICK_NS;
    const parts: Buffer[] = [];
    let offset = 0;
    for (const p of points) {
      const body = Buffer.from(Point.encode(p).finish());
      // ts-proto writes time_ns (field 4, tag 0x20) last.
      if (body[body.length - TIME_VARINT_BYTES - 1] !== 0x20) throw new Error("unexpected Point encoding: time_ns is not the last field");
      const head = Buffer.from([0x1a, ...varint(BigInt(body.length))]); // Batch.points = field 3, length-delimited
      this.#timeOffsets.push(offset + head.length + body.length - TIME_VARINT_BYTES);
      parts.push(head, body);
      offset += head.length + body.length;
    }
    this.#block = Buffer.concat(parts);
  }

  /** One encoded AgentMessage{batch}: seq and the points' times differ per batch, the rest is the template. */
  encode(seq: bigint): Buffer {
    const header = Buffer.from(Batch.encode({ agentId: this.agentId, seq, points: [], createdNs: this.#baseNs + seq * this.#spanNs }).finish());
    const block = Buffer.from(this.#block);
    const start = this.#baseNs + (seq - 1n) * this.#spanNs;
    for (let i = 0; i < this.#timeOffsets.length; i++) writeVarint9(block, this.#timeOffsets[i] as number, start + (this.#pointTimes[i] as bigint));
    const len = header.length + block.length;
    return Buffer.concat([Buffer.from([0x12, ...varint(BigInt(len))]), header, block]); // AgentMessage.batch = field 2
  }

  hello(): Buffer {
    const hello: Hello = {
      agentId: this.agentId, role: 1, hostname: "bench-host", kernel: "bench", machineUuid: "", netns: "net:[4026531840]",
      capabilities: [], agentVersion: "bench", calibration: undefined, pid: process.pid, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined,
    };
    return Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: hello } }).finish());
  }
}

export interface LoadResult {
  windowS: number;
  batchesAcked: number;
  pointsAcked: number;
  pointsPerS: number;
  /** Highest seq acked by the end, warm-up included. */
  lastSeq: bigint;
}

export interface LoadOptions {
  address: string;
  encoder: BatchEncoder;
  window: number;
  warmupS: number;
  seconds: number;
}

type Call = ClientDuplexStream<Buffer, CollectorMessage>;

/** Drives one stream for warmupS + seconds; counts points acked STORED within the measured window. */
export async function driveLoad(o: LoadOptions): Promise<LoadResult> {
  const client = new Client(o.address, credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024 });
  const call: Call = client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
  try {
    return await new Promise<LoadResult>((resolve, reject) => run(o, call, resolve, reject));
  } finally {
    call.cancel();
    client.close();
  }
}

function run(o: LoadOptions, call: Call, resolve: (r: LoadResult) => void, reject: (e: Error) => void): void {
  let nextSeq = 1n;
  let inFlight = 0;
  let phase: "hello" | "warmup" | "measure" | "drain" = "hello";
  let measuredStart = 0;
  let measuredEnd = 0;
  let batches = 0;
  let lastSeq = 0n;
  const timers: NodeJS.Timeout[] = [];
  const fail = (e: Error) => (timers.forEach(clearTimeout), reject(e));
  const finish = () => {
    timers.forEach(clearTimeout);
    const windowS = (measuredEnd - measuredStart) / 1000;
    const points = batches * o.encoder.pointsPerBatch;
    resolve({ windowS, batchesAcked: batches, pointsAcked: points, pointsPerS: points / windowS, lastSeq });
  };
  const pump = () => {
    while (phase !== "drain" && inFlight < o.window) {
      call.write(o.encoder.encode(nextSeq++));
      inFlight++;
    }
  };
  const welcomeTimeout = setTimeout(() => fail(new Error(`no Welcome within 10 s from ${o.address}`)), 10_000);
  timers.push(welcomeTimeout);
  call.on("error", (err: Error) => fail(new Error(`stream to ${o.address} failed: ${err.message}`)));
  call.on("data", (m: CollectorMessage) => {
    const msg = m.msg;
    if (msg?.$case === "error") return fail(new Error(`collector stream error ${msg.value.code}: ${msg.value.reason}`));
    if (msg?.$case === "welcome" && phase === "hello") {
      clearTimeout(welcomeTimeout);
      if (msg.value.highestSeq !== 0n) return fail(new Error(`Welcome says seq ${msg.value.highestSeq} is stored already: not a fresh store`));
      phase = "warmup";
      timers.push(setTimeout(() => ((phase = "measure"), (measuredStart = performance.now())), o.warmupS * 1000));
      timers.push(setTimeout(() => ((phase = "drain"), (measuredEnd = performance.now())), (o.warmupS + o.seconds) * 1000));
      return pump();
    }
    if (msg?.$case !== "ack") return;
    const ack = msg.value;
    if (ack.code !== AckCode.ACK_CODE_STORED) return fail(new Error(`batch ${ack.seq} acked with code ${ack.code}: ${ack.reason}`));
    inFlight--;
    lastSeq = ack.seq > lastSeq ? ack.seq : lastSeq;
    if (phase === "measure") batches++;
    if (phase === "drain" && inFlight === 0) return finish();
    pump();
  });
  call.write(o.encoder.hello());
}
