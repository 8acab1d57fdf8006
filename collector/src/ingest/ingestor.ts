// Validated batches -> store, with group commit: batches that arrive while a
// write is in progress are written together in the next transaction (one
// durable commit for many acks). A batch's Ack is resolved only after the
// store reported it durable (or duplicate/invalid). Retryable store outcomes
// are retried here with the store's back-off.
//
// Before validation the SeqGuard (seq-guard.ts) admits the batch by its
// session and seq; a refused batch is answered ACK_CODE_INVALID with the
// reason and counted (batchesRefused), never stored, except a batch of a
// superseded live stream: ingest() rejects with SessionSupersededError and
// the receiver ends that stream (the agent keeps the batch and reconnects).
// A batch over a limit (limits.ts) is refused like an invalid one, with the
// limit's name, and counted per limit.
//
// Flow control: the points queued or being written are bounded by
// maxQueuedPoints. Past it `saturated` is true and the receivers stop reading
// (the gRPC receiver pauses the stream that delivered, so HTTP/2's flow control
// holds the rest in the agents' outboxes; NATS bounds its messages in flight
// itself); `drained()` resolves once the queue is back to half the bound.
// why: unbounded, a fleet that offers more than the store can write grows the
// queue without end, and the collector's heap and garbage collection with it:
// 1,000 simulated hosts took the collector to 1.5 GiB in 20 s while it
// stored about half the values a second it stored for 300.
import { AckCode, type Ack } from "@eastwest/proto";
import { EastwestError, nowNs, ThrottledLog, type Logger } from "@eastwest/common";
import type { Store, StoredBatch, WriteOutcome } from "../store/types.ts";
import { AGENT_ID_RE, validateBatch } from "./validate.ts";
import type { DecodedBatch } from "./decode.ts";
import type { PipelineStats } from "./stats.ts";
import { DEFAULT_LIMITS, MAX_GROUP_POINTS, MAX_QUEUED_POINTS, SeriesLimiter, type IngestLimits, type LimitExceeded, type LimitName } from "./limits.ts";
import type { Admission, BatchVia, SeqGuard } from "./seq-guard.ts";

/** The batch came on a stream whose session a newer hello of its agent superseded. */
export class SessionSupersededError extends EastwestError {}

export interface IngestorOptions {
  store: Store;
  logger: Logger;
  stats: PipelineStats;
  guard: SeqGuard;
  maxRetries?: number;
  /** Upper bound of points per group commit. */
  maxGroupPoints?: number;
  onStored?: (agentId: string, seq: bigint) => void;
  /** Default DEFAULT_LIMITS. */
  limits?: IngestLimits;
  /** Refuses a batch of an agent id the collector may not take on (maxAgents); undefined: admitted. */
  admitAgent?: (agentId: string) => LimitExceeded | undefined;
  /** Lines about refused batches go through it; default: one over `logger`. */
  log?: ThrottledLog;
  /** Told each store write's duration (stalls.ts). */
  stalls?: { wrote(ns: bigint): void };
  /** Default SLOW_WRITE_MS. */
  slowWriteMs?: number;
  /** Default MAX_QUEUED_POINTS (see the head comment). */
  maxQueuedPoints?: number;
}

/** A store write (one group commit) this long is logged, throttled: every ack in the group waited for it. */
export const SLOW_WRITE_MS = 1_000;

interface Job {
  batch: StoredBatch;
  resolve: (a: Ack) => void;
  reject: (e: Error) => void;
  attempts: number;
}

export class Ingestor {
  readonly #o: IngestorOptions;
  #queue: Job[] = [];
  #writing: Promise<void> | undefined;
  readonly #limits: IngestLimits;
  readonly #series: SeriesLimiter;
  readonly #log: ThrottledLog;
  /** Points of the batches in ingest(). */
  #queuedPoints = 0;
  readonly #maxQueued: number;
  #drainWaiters: Array<() => void> = [];

  constructor(o: IngestorOptions) {
    this.#o = o;
    this.#maxQueued = o.maxQueuedPoints ?? MAX_QUEUED_POINTS;
    this.#limits = o.limits ?? DEFAULT_LIMITS;
    this.#series = new SeriesLimiter(this.#limits);
    this.#log = o.log ?? new ThrottledLog(o.logger);
  }

  /**
   * Admits, validates and stores one batch; resolves with the ack to send. `helloAgentId`: the stream's agent (its
   * batches must carry it); `via`: the batch's session (seq-guard.ts; undefined: none). Rejects when the store stays
   * unavailable (or cannot be read to admit the batch), and with SessionSupersededError (see the head comment).
   */
  async ingest(batch: DecodedBatch, helloAgentId?: string, via?: BatchVia): Promise<Ack> {
    // why: counted from the call, not from the queue, so that `saturated` is true at once after the batch that
    // filled it (admission awaits before the batch is queued)
    const n = batch.points.length;
    this.#queuedPoints += n;
    this.#o.stats.queuedPoints = BigInt(this.#queuedPoints);
    try {
      return await this.#ingest(batch, helloAgentId, via);
    } finally {
      this.#queuedPoints -= n;
      this.#o.stats.queuedPoints = BigInt(this.#queuedPoints);
      if (this.#drainWaiters.length > 0 && this.#queuedPoints <= this.#maxQueued / 2) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  async #ingest(batch: DecodedBatch, helloAgentId: string | undefined, via: BatchVia | undefined): Promise<Ack> {
    const received = nowNs();
    this.#o.stats.batchesReceived += 1n;
    // why: only a well-formed id of the stream's own agent reaches the guard (and its memory); validation refuses the rest.
    if (AGENT_ID_RE.test(batch.agentId) && (helloAgentId === undefined || helloAgentId === batch.agentId)) {
      const a = await this.#o.guard.admit(batch.agentId, batch.seq, via);
      if (!a.ok) return this.#refuse(batch, a);
    }
    const v = validateBatch(batch, received, helloAgentId, this.#limits);
    if (!v.ok) return this.#reject(batch, v.reason, v.limits);
    const over = this.#o.admitAgent?.(batch.agentId) ?? this.#series.admit(batch.agentId, batch.series);
    if (over) return this.#reject(batch, over.message, [over.limit]);
    return this.#enqueue({ agentId: batch.agentId, seq: batch.seq, points: v.points, receivedNs: received, keys: { series: batch.series, shapes: batch.shapes } });
  }

  /** An INVALID ack: the agent drops the batch and counts it; nothing is stored. */
  #reject(batch: DecodedBatch, reason: string, limits: readonly LimitName[]): Ack {
    const { stats } = this.#o;
    stats.batchesRejected += 1n;
    for (const l of limits) stats.refusedByLimit[l] += 1n;
    this.#log.warn(`batch rejected ${limits[0] ?? ""}`, { agentId: batch.agentId, seq: batch.seq, reason }, "batch rejected");
    return { seq: batch.seq, code: AckCode.ACK_CODE_INVALID, reason, pointsStored: 0 };
  }

  /** A batch the seq guard did not admit: INVALID, or SessionSupersededError for a superseded live stream. */
  #refuse(batch: DecodedBatch, a: Exclude<Admission, { ok: true }>): Ack {
    this.#o.stats.batchesRefused += 1n;
    if (a.code === "seq-ahead") this.#o.stats.refusedByLimit.maxSeqAhead += 1n;
    this.#log.warn(`batch refused ${a.code}`, { agentId: batch.agentId, seq: batch.seq, code: a.code, reason: a.reason }, "batch refused");
    if (a.code === "superseded") throw new SessionSupersededError(`agent ${batch.agentId}: ${a.reason}`);
    return { seq: batch.seq, code: AckCode.ACK_CODE_INVALID, reason: `refused (${a.code}): ${a.reason}`, pointsStored: 0 };
  }

  /** The queue holds maxQueuedPoints or more: receivers should stop reading until drained(). */
  get saturated(): boolean {
    return this.#queuedPoints >= this.#maxQueued;
  }

  /** Resolves once the queue holds at most half of maxQueuedPoints (at once when it does). */
  drained(): Promise<void> {
    if (this.#queuedPoints <= this.#maxQueued / 2) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #enqueue(batch: StoredBatch): Promise<Ack> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject, attempts: 0 });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#writing || this.#queue.length === 0) return;
    // why: setImmediate lets frames that arrived during the last (synchronous) commit join the next group.
    this.#writing = new Promise<void>((r) => setImmediate(r)).then(() => this.#drain()).finally(() => {
      this.#writing = undefined;
      this.#kick();
    });
  }

  #takeGroup(): Job[] {
    const max = this.#o.maxGroupPoints ?? MAX_GROUP_POINTS;
    const group: Job[] = [];
    let points = 0;
    while (this.#queue.length > 0 && (group.length === 0 || points + (this.#queue[0] as Job).batch.points.length <= max)) {
      const job = this.#queue.shift() as Job;
      points += job.batch.points.length;
      group.push(job);
    }
    return group;
  }

  async #drain(): Promise<void> {
    const group = this.#takeGroup();
    const started = process.hrtime.bigint();
    const outcomes = await this.#o.store.writeBatches(group.map((j) => j.batch));
    this.#wrote(process.hrtime.bigint() - started, group);
    let retryAfterMs = 0;
    const retries: Job[] = [];
    group.forEach((job, i) => {
      const out = outcomes[i] as WriteOutcome;
      if (out.kind === "retryable") {
        this.#o.stats.storeErrors += 1n;
        job.attempts += 1;
        if (job.attempts > (this.#o.maxRetries ?? 20)) return job.reject(new Error(`store unavailable after ${job.attempts} attempts: ${out.reason}`));
        this.#o.logger.warn({ agentId: job.batch.agentId, seq: String(job.batch.seq), reason: out.reason, afterMs: out.afterMs }, "store busy, retrying");
        retryAfterMs = Math.max(retryAfterMs, out.afterMs);
        retries.push(job);
        return;
      }
      job.resolve(this.#ack(job.batch, out));
    });
    this.#queue.unshift(...retries);
    if (retryAfterMs > 0) await new Promise((r) => setTimeout(r, retryAfterMs));
  }

  #wrote(ns: bigint, group: readonly Job[]): void {
    this.#o.stats.storeWriteNs += ns;
    this.#o.stalls?.wrote(ns);
    const ms = Number(ns / 1_000_000n);
    if (ms >= (this.#o.slowWriteMs ?? SLOW_WRITE_MS)) this.#log.warn("slow store write", { ms, batches: group.length, points: group.reduce((n, j) => n + j.batch.points.length, 0) }, "slow store write: every ack of the group waited");
  }

  #ack(b: StoredBatch, out: Exclude<WriteOutcome, { kind: "retryable" }>): Ack {
    const { stats } = this.#o;
    switch (out.kind) {
      case "ok":
        stats.batchesStored += 1n;
        stats.pointsStored += BigInt(out.stored);
        stats.lagNs = nowNs() - b.receivedNs;
        this.#o.onStored?.(b.agentId, b.seq);
        return { seq: b.seq, code: AckCode.ACK_CODE_STORED, reason: "", pointsStored: out.stored };
      case "duplicate":
        stats.batchesDuplicate += 1n;
        this.#o.onStored?.(b.agentId, b.seq);
        return { seq: b.seq, code: AckCode.ACK_CODE_DUPLICATE, reason: "already stored", pointsStored: 0 };
      case "rejected":
        stats.storeErrors += 1n;
        this.#log.error("store rejected batch", { agentId: b.agentId, seq: b.seq, reason: out.reason }, "store rejected batch");
        return { seq: b.seq, code: AckCode.ACK_CODE_INVALID, reason: `store rejected: ${out.reason}`, pointsStored: 0 };
    }
  }

  /** Resolves when every queued write has finished. */
  async idle(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}
