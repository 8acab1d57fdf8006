// The fleet benchmark's simulated hosts: N agents, each with its own gRPC connection and stream (Hello, Welcome,
// seqs, acks), making one batch a second of a hypervisor's series (16 CPUs, 8 interfaces, 4 VMs with 4 vCPUs each:
// 102 points and about 1,500 values, every schema field), their sends spread over the second. A batch is made every second whatever
// happens; it waits in the agent's outbox while 64 are unacked, as a real agent's does. Batches are encoded once
// per host as a template and only patched (seq, times), so the generator costs little next to the collector.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { LOOP_RESOLUTION_MS, loopDelayNs } from "../../collector/src/ingest/stalls.ts";
import { Client, credentials, Metadata, type ClientDuplexStream } from "@grpc/grpc-js";
import { AckCode, AgentMessage, Batch, CollectorMessage, Point, type Hello } from "@eastwest/proto";
import { measurement, toWirePoint, type FieldValue, type MeasurementDef } from "@eastwest/common";
import { varint, writeVarint9, TIME_VARINT_BYTES } from "./ingest-load.ts";

/** Measurement and the series a host has of it: (tag that tells them apart, how many). Fields and tags: the schema's. */
const HOST: ReadonlyArray<[string, string | undefined, number]> = [
  ["cpu", "cpu", 17],
  ["softirqs", "cpu", 16],
  ["softnet", "cpu", 16],
  ["netdev", "interface", 8],
  ["vm_thread", "thread", 16],
  ["vm_net", "vm", 4],
  ["vm_info", "vm", 4],
  ["kvm_exits", undefined, 1],
  ["tcp", undefined, 1],
  ["ip", undefined, 1],
  ["udp", undefined, 1],
  ["kernel", undefined, 1],
  ["eastwest_sampler", "sampler", 15],
  ["eastwest_agent", undefined, 1],
];
const WINDOW = 64;

function defOf(name: string): MeasurementDef {
  const def = measurement(name);
  if (def === undefined) throw new Error(`fleet host: ${name} is not in the schema`);
  return def;
}

/** One host's points at baseNs: every schema field of each measurement, typed; tags from the schema. */
export function hostPoints(agentId: string, baseNs: bigint): Point[] {
  const out: Point[] = [];
  for (const [m, tag, series] of HOST) {
    const def = defOf(m);
    for (let s = 0; s < series; s++) {
      const tags: Record<string, string> = {};
      for (const t of def.tags) tags[t] = t === "agent_id" ? agentId : t === tag ? `${tag}${s}` : t === "host" ? agentId : "x";
      const fields: Record<string, FieldValue> = {};
      let k = 0;
      for (const [f, type] of Object.entries(def.fields)) {
        k++;
        fields[f] = type === "float" ? (s * 7.3 + k * 1.1) % 100 : type === "bool" ? true : type === "string" ? "x" : BigInt(s * 1_000_003 + k * 65_537) * 1_000n;
      }
      out.push(toWirePoint({ measurement: m, tags, fields, timeNs: baseNs }));
    }
  }
  return out;
}

/** Points and values one host sends each second. */
export const HOST_POINTS = HOST.reduce((n, [, , series]) => n + series, 0);
export const HOST_VALUES = HOST.reduce((n, [m, , series]) => n + series * Object.keys(defOf(m).fields).length, 0);

export class HostEncoder {
  readonly #agentId: string;
  readonly #block: Buffer;
  readonly #timeOffsets: number[] = [];
  readonly #baseNs: bigint;

  constructor(agentId: string, baseNs: bigint) {
    this.#agentId = agentId;
    this.#baseNs = baseNs;
    const parts: Buffer[] = [];
    let offset = 0;
    for (const p of hostPoints(agentId, baseNs)) {
      const body = Buffer.from(Point.encode(p).finish());
      if (body[body.length - TIME_VARINT_BYTES - 1] !== 0x20) throw new Error("unexpected Point encoding: time_ns is not the last field");
      const head = Buffer.from([0x1a, ...varint(BigInt(body.length))]);
      this.#timeOffsets.push(offset + head.length + body.length - TIME_VARINT_BYTES);
      parts.push(head, body);
      offset += head.length + body.length;
    }
    this.#block = Buffer.concat(parts);
  }

  /** The Batch of seq (as NATS carries it): every point at base + seq seconds. */
  batch(seq: bigint): Buffer {
    const t = this.#baseNs + seq * 1_000_000_000n;
    const header = Buffer.from(Batch.encode({ agentId: this.#agentId, seq, points: [], createdNs: t }).finish());
    const block = Buffer.from(this.#block);
    for (const at of this.#timeOffsets) writeVarint9(block, at, t);
    return Buffer.concat([header, block]);
  }

  /** The AgentMessage carrying batch seq (as the gRPC stream carries it). */
  encode(seq: bigint): Buffer {
    const b = this.batch(seq);
    return Buffer.concat([Buffer.from([0x12, ...varint(BigInt(b.length))]), b]);
  }

  hello(): Buffer {
    const hello: Hello = {
      agentId: this.#agentId, role: 1, hostname: this.#agentId, kernel: "bench", machineUuid: "", netns: "net:[4026531840]",
      capabilities: [], agentVersion: "bench", calibration: undefined, pid: process.pid, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined,
    };
    return Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: hello } }).finish());
  }
}

type Call = ClientDuplexStream<Buffer, CollectorMessage>;

/** One simulated host: its stream, outbox and acks. */
class SimHost {
  readonly #enc: HostEncoder;
  readonly #client: Client;
  readonly #call: Call;
  /** Made, not yet sent (the outbox beyond the window), and sent, not yet acked: seq -> made at (ms). */
  readonly #queued: bigint[] = [];
  readonly #made = new Map<bigint, number>();
  #inFlight = 0;
  #nextSeq = 1n;
  welcomed: Promise<void>;
  failed: string | undefined;
  /** Ack latencies (ms) of batches made inside the measured window, and how many were made there. */
  readonly latencies: number[] = [];
  /** When each of `latencies` was made (ms after the window's start), in the same order. */
  readonly madeAt: number[] = [];
  madeInWindow = 0;
  acked = 0;
  /** Acks that arrived inside the measured window, whenever their batch was made (the throughput under overload). */
  ackedDuringWindow = 0;
  window: { from: number; to: number } = { from: Infinity, to: Infinity };

  constructor(address: string, agentId: string, baseNs: bigint) {
    this.#enc = new HostEncoder(agentId, baseNs);
    // why: a pool of its own, so each simulated host has its own connection, as real agents do (the shared pool put
    // every host on one HTTP/2 connection)
    this.#client = new Client(address, credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024, "grpc.use_local_subchannel_pool": 1 });
    this.#call = this.#client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    let welcome: () => void = () => undefined;
    this.welcomed = new Promise<void>((resolve) => (welcome = resolve));
    this.#call.on("error", (err: Error) => (this.failed ??= `stream failed: ${err.message}`));
    this.#call.on("data", (m: CollectorMessage) => {
      const msg = m.msg;
      if (msg?.$case === "welcome") return welcome();
      if (msg?.$case === "error") return void (this.failed ??= `collector error ${msg.value.code}: ${msg.value.reason}`);
      if (msg?.$case !== "ack") return;
      if (msg.value.code !== AckCode.ACK_CODE_STORED) return void (this.failed ??= `batch ${msg.value.seq} acked ${msg.value.code}: ${msg.value.reason}`);
      this.#inFlight--;
      this.acked++;
      const now = performance.now();
      if (now >= this.window.from && now < this.window.to) this.ackedDuringWindow++;
      const at = this.#made.get(msg.value.seq);
      this.#made.delete(msg.value.seq);
      if (at !== undefined && at >= this.window.from && at < this.window.to) {
        this.latencies.push(now - at);
        this.madeAt.push(at - this.window.from);
      }
      this.#pump();
    });
    this.#call.write(this.#enc.hello());
  }

  /** Makes this second's batch; it goes out as soon as the window allows. */
  tick(): void {
    const now = performance.now();
    const seq = this.#nextSeq++;
    this.#made.set(seq, now);
    if (now >= this.window.from && now < this.window.to) this.madeInWindow++;
    this.#queued.push(seq);
    this.#pump();
  }

  /** Batches made but not acked. */
  get backlog(): number {
    return this.#made.size;
  }

  #pump(): void {
    while (this.#inFlight < WINDOW && this.#queued.length > 0) {
      this.#call.write(this.#enc.encode(this.#queued.shift() as bigint));
      this.#inFlight++;
    }
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

export interface FleetResult {
  hosts: number;
  windowS: number;
  madeInWindow: number;
  /** Batches made in the window and acked by the end of the drain, per second of the window. */
  ackedPerS: number;
  /** Every batch acked, warm-up and drain included (what the store holds). */
  ackedTotal: number;
  /** Batches acked per second while the window lasted, whenever made: what the collector stored, overloaded or not. */
  ackedDuringPerS?: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  backlog: number;
  /** The load generator's own longest event-loop delay (ms): a stall here delays acks' reading, not the collector. */
  generatorLoopMaxMs: number;
  /** Per 10 s of the window (by when the batch was made): the longest ack latency (ms) and how many hosts saw it over 1 s. */
  byTenSeconds?: Array<{ fromS: number; maxMs: number; hostsOver1s: number }>;
}

/** The window's acks in 10 s bins by when their batch was made. */
function tenSecondBins(hosts: ReadonlyArray<{ latencies: readonly number[]; madeAt: readonly number[] }>, seconds: number): NonNullable<FleetResult["byTenSeconds"]> {
  const bins = Array.from({ length: Math.ceil(seconds / 10) }, (_, i) => ({ fromS: i * 10, maxMs: 0, hostsOver1s: 0 }));
  for (const h of hosts) {
    const slow = new Set<number>();
    h.latencies.forEach((ms, i) => {
      const b = bins[Math.min(bins.length - 1, Math.max(0, Math.floor((h.madeAt[i] ?? 0) / 10_000)))];
      if (b === undefined) return;
      b.maxMs = Math.max(b.maxMs, ms);
      if (ms > 1000 && !slow.has(b.fromS)) (slow.add(b.fromS), b.hostsOver1s++);
    });
  }
  return bins;
}

/** The window's latencies, sorted, with Infinity for each batch made in it and never acked. */
export function latencies(measured: readonly number[], made: number): number[] {
  const lat = [...measured];
  for (let k = lat.length; k < made; k++) lat.push(Infinity);
  return lat.sort((a, b) => a - b);
}

/**
 * Ticks the hosts for warmupS + seconds, each once a second at its own offset within the second, after setting
 * their measured window (the seconds after the warm-up); resolves at the window's end with the generator's own
 * longest event-loop delay meanwhile (ms; the timer's period taken out, as the collector's own, stalls.ts).
 */
export async function tickFleet(hosts: ReadonlyArray<{ tick(): void; window: { from: number; to: number } }>, o: { warmupS: number; seconds: number; onTick?: () => void }): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const start = performance.now();
  const from = start + o.warmupS * 1000;
  const to = from + o.seconds * 1000;
  for (const h of hosts) h.window = { from, to };
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * hosts.length);
    for (; next < due && performance.now() < to; next++) hosts[next % hosts.length]?.tick();
    o.onTick?.();
  }, 5);
  await new Promise((r) => setTimeout(r, to - performance.now()));
  clearInterval(timer);
  loop.disable();
  return loop.count > 0 ? Number(loopDelayNs(loop.max)) / 1e6 : 0;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Infinity;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * N hosts for warmupS + seconds (sends spread over each second), then up to drainS for the window's acks. A batch
 * made in the window and not acked by then counts as an infinite latency.
 */
export async function driveFleet(o: { address: string; hosts: number; warmupS: number; seconds: number; drainS: number; onTick?: () => void }): Promise<FleetResult> {
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const hosts = Array.from({ length: o.hosts }, (_, i) => new SimHost(o.address, `fleet-${String(i).padStart(5, "0")}`, baseNs));
  try {
    await Promise.race([Promise.all(hosts.map((h) => h.welcomed)), new Promise((_, reject) => setTimeout(() => reject(new Error(`not every host had a Welcome within 60 s (${hosts.filter((h) => h.failed).length} failed)`)), 60_000))]);
    const generatorLoopMaxMs = await tickFleet(hosts, o);
    const drainEnd = performance.now() + o.drainS * 1000;
    const outstanding = () => hosts.reduce((n, h) => n + (h.madeInWindow - h.latencies.length), 0);
    while (outstanding() > 0 && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));
    const failed = hosts.find((h) => h.failed);
    if (failed) throw new Error(failed.failed);
    const made = hosts.reduce((n, h) => n + h.madeInWindow, 0);
    const lat = latencies(hosts.flatMap((h) => h.latencies), made);
    return {
      hosts: o.hosts,
      windowS: o.seconds,
      madeInWindow: made,
      ackedTotal: hosts.reduce((n, h) => n + h.acked, 0),
      ackedDuringPerS: hosts.reduce((n, h) => n + h.ackedDuringWindow, 0) / o.seconds,
      ackedPerS: hosts.reduce((n, h) => n + h.latencies.length, 0) / o.seconds,
      latencyP50Ms: quantile(lat, 0.5),
      latencyP99Ms: quantile(lat, 0.99),
      backlog: hosts.reduce((n, h) => n + h.backlog, 0),
      generatorLoopMaxMs,
      byTenSeconds: tenSecondBins(hosts, o.seconds),
    };
  } finally {
    for (const h of hosts) h.close();
  }
}
