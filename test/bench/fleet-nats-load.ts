// The fleet benchmark's NATS path: N simulated hosts, each with its own NATS connection, make one batch a second
// (fleet-load.ts's HostEncoder: the same 102 points) and publish it to JetStream on the host's batch subject with
// Nats-Msg-Id "<agent>:<seq>", as the agent's NATS transport does; at most 64 publishes await their PubAck (the
// agent's buffer.maxInFlight), the rest wait in the host's outbox. The hosts send no hello: their batches carry
// no epoch header, which the collectors admit as a session-less log. A batch counts as stored when the
// collectors' shared durable consumer has acked it: its stream seq (from the PubAck) is at or below the
// consumer's ack floor, polled every 100 ms, so a latency (made -> stored) is late by up to 100 ms.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { batchSubject, DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, msgIdOf } from "@eastwest/common";
import { HostEncoder, latencies, quantile, tickFleet, type FleetResult } from "./fleet-load.ts";

const WINDOW = 64;
const POLL_MS = 100;

/** Made-at (ms) of published batches by stream seq, and of the window's batches not yet published. */
class Ledger {
  readonly byStreamSeq = new Map<number, { at: number; inWindow: boolean }>();
  readonly latencies: number[] = [];
  floor = 0;

  /** Everything at or below the consumer's ack floor is stored. */
  advance(floor: number, now: number): void {
    for (let s = this.floor + 1; s <= floor; s++) {
      const m = this.byStreamSeq.get(s);
      if (m === undefined) continue;
      this.byStreamSeq.delete(s);
      if (m.inWindow) this.latencies.push(now - m.at);
    }
    this.floor = Math.max(this.floor, floor);
  }
}

class NatsSimHost {
  readonly #enc: HostEncoder;
  readonly #subject: string;
  readonly #agentId: string;
  readonly #ledger: Ledger;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  readonly #queued: Array<{ seq: bigint; at: number; inWindow: boolean }> = [];
  #inFlight = 0;
  #nextSeq = 1n;
  failed: string | undefined;
  published = 0;
  madeInWindow = 0;
  window = { from: Infinity, to: Infinity };

  constructor(agentId: string, baseNs: bigint, ledger: Ledger) {
    this.#agentId = agentId;
    this.#enc = new HostEncoder(agentId, baseNs);
    this.#subject = batchSubject({ prefix: DEFAULT_SUBJECT_PREFIX, site: "bench", host: agentId, agentId });
    this.#ledger = ledger;
  }

  async connect(url: string): Promise<void> {
    this.#nc = await connect({ servers: url, name: this.#agentId });
    this.#js = jetstream(this.#nc);
  }

  tick(): void {
    const at = performance.now();
    const inWindow = at >= this.window.from && at < this.window.to;
    if (inWindow) this.madeInWindow++;
    this.#queued.push({ seq: this.#nextSeq++, at, inWindow });
    this.#pump();
  }

  /** Batches made and not yet published (the outbox beyond the window). */
  get queued(): number {
    return this.#queued.length + this.#inFlight;
  }

  #pump(): void {
    const js = this.#js;
    if (js === undefined) return;
    while (this.#inFlight < WINDOW && this.#queued.length > 0) {
      const b = this.#queued.shift() as { seq: bigint; at: number; inWindow: boolean };
      this.#inFlight++;
      js.publish(this.#subject, this.#enc.batch(b.seq), { msgID: msgIdOf(this.#agentId, b.seq), timeout: 30_000 }).then(
        (ack) => {
          this.#inFlight--;
          this.published++;
          if (ack.seq > this.#ledger.floor) this.#ledger.byStreamSeq.set(ack.seq, { at: b.at, inWindow: b.inWindow });
          else if (b.inWindow) this.#ledger.latencies.push(performance.now() - b.at);
          this.#pump();
        },
        (err: unknown) => {
          this.#inFlight--;
          this.failed ??= `publish ${b.seq}: ${err instanceof Error ? err.message : String(err)}`;
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.#nc?.close();
  }
}

export interface NatsFleetResult extends FleetResult {
  /** Stream messages the consumer had not yet acked at the end. */
  pendingAtEnd: number;
}

/**
 * N hosts for warmupS + seconds (sends spread over each second), then up to drainS for the window's batches to be
 * stored. The stream and its consumer must exist (the collectors make them).
 */
export async function driveNatsFleet(o: { url: string; hosts: number; warmupS: number; seconds: number; drainS: number; onTick?: () => void }): Promise<NatsFleetResult> {
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const ledger = new Ledger();
  const hosts = Array.from({ length: o.hosts }, (_, i) => new NatsSimHost(`fleet-${String(i).padStart(5, "0")}`, baseNs, ledger));
  const admin = await connect({ servers: o.url, name: "bench-fleet-admin" });
  const jsm: JetStreamManager = await jetstreamManager(admin);
  const ackFloor = async () => (await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER)).ack_floor.stream_seq;
  ledger.floor = await ackFloor();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        ledger.advance(await ackFloor(), performance.now());
      } catch {
        // a slow answer under load: the next poll catches up
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  try {
    for (let i = 0; i < hosts.length; i += 50) await Promise.all(hosts.slice(i, i + 50).map((h) => h.connect(o.url)));
    const generatorLoopMaxMs = await tickFleet(hosts, o);
    const made = hosts.reduce((n, h) => n + h.madeInWindow, 0);
    const drainEnd = performance.now() + o.drainS * 1000;
    while (ledger.latencies.length < made && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));
    const failed = hosts.find((h) => h.failed);
    if (failed) throw new Error(failed.failed);
    const stored = ledger.latencies.length;
    const lat = latencies(ledger.latencies, made);
    const info = await jsm.consumers.info(DEFAULT_STREAM, DEFAULT_CONSUMER);
    return {
      hosts: o.hosts,
      windowS: o.seconds,
      madeInWindow: made,
      ackedTotal: info.ack_floor.stream_seq,
      ackedPerS: stored / o.seconds,
      latencyP50Ms: quantile(lat, 0.5),
      latencyP99Ms: quantile(lat, 0.99),
      backlog: hosts.reduce((n, h) => n + h.queued, 0),
      pendingAtEnd: info.num_pending + info.num_ack_pending,
      generatorLoopMaxMs,
    };
  } finally {
    polling = false;
    await poller;
    for (const h of hosts) await h.close();
    await admin.close();
  }
}
