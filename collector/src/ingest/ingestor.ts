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
import { AckCode, type Ack } from "@eastwest/proto";
import { EastwestError, nowNs, type Logger } from "@eastwest/common";
import type { Store, StoredBatch, WriteOutcome } from "../store/types.ts";
import { AGENT_ID_RE, validateBatch } from "./validate.ts";
import type { DecodedBatch } from "./decode.ts";
import type { PipelineStats } from "./stats.ts";
import type { Admission, BatchVia, RefusalCode, SeqGuard } from "./seq-guard.ts";

/** The batch came on a stream whose session a newer hello of its agent superseded. */
export class SessionSupersededError extends EastwestError {}

/** Refusals are logged at most once per this interval per code, with the count since. */
const REFUSAL_LOG_EVERY_MS = 10_000;

export interface IngestorOptions {
  store: Store;
  logger: Logger;
  stats: PipelineStats;
  guard: SeqGuard;
  maxRetries?: number;
  /** Upper bound of points per group commit. */
  maxGroupPoints?: number;
  onStored?: (agentId: string, seq: bigint) => void;
}

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
  readonly #refusalLog = new Map<RefusalCode, { atMs: number; suppressed: number }>();

  constructor(o: IngestorOptions) {
    this.#o = o;
  }

  /**
   * Admits, validates and stores one batch; resolves with the ack to send. `helloAgentId`: the stream's agent (its
   * batches must carry it); `via`: the batch's session (seq-guard.ts; undefined: none). Rejects when the store stays
   * unavailable (or cannot be read to admit the batch), and with SessionSupersededError (see the head comment).
   */
  async ingest(batch: DecodedBatch, helloAgentId?: string, via?: BatchVia): Promise<Ack> {
    const received = nowNs();
    this.#o.stats.batchesReceived += 1n;
    // why: only a well-formed id of the stream's own agent reaches the guard (and its memory); validation refuses the rest.
    if (AGENT_ID_RE.test(batch.agentId) && (helloAgentId === undefined || helloAgentId === batch.agentId)) {
      const a = await this.#o.guard.admit(batch.agentId, batch.seq, via);
      if (!a.ok) return this.#refuse(batch, a);
    }
    const v = validateBatch(batch, received, helloAgentId);
    if (!v.ok) {
      this.#o.stats.batchesRejected += 1n;
      this.#o.logger.warn({ agentId: batch.agentId, seq: String(batch.seq), reason: v.reason }, "batch rejected");
      return { seq: batch.seq, code: AckCode.ACK_CODE_INVALID, reason: v.reason, pointsStored: 0 };
    }
    return this.#enqueue({ agentId: batch.agentId, seq: batch.seq, points: v.points, receivedNs: received, keys: { series: batch.series, shapes: batch.shapes } });
  }

  #refuse(batch: DecodedBatch, a: Exclude<Admission, { ok: true }>): Ack {
    this.#o.stats.batchesRefused += 1n;
    const now = Date.now();
    const log = this.#refusalLog.get(a.code) ?? { atMs: -Infinity, suppressed: 0 };
    this.#refusalLog.set(a.code, log);
    if (now - log.atMs >= REFUSAL_LOG_EVERY_MS) {
      this.#o.logger.warn({ agentId: batch.agentId, seq: String(batch.seq), code: a.code, reason: a.reason, suppressedSinceLast: log.suppressed }, "batch refused");
      log.atMs = now;
      log.suppressed = 0;
    } else log.suppressed += 1;
    if (a.code === "superseded") throw new SessionSupersededError(`agent ${batch.agentId}: ${a.reason}`);
    return { seq: batch.seq, code: AckCode.ACK_CODE_INVALID, reason: `refused (${a.code}): ${a.reason}`, pointsStored: 0 };
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
    const max = this.#o.maxGroupPoints ?? 50_000;
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
    const outcomes = await this.#o.store.writeBatches(group.map((j) => j.batch));
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
        this.#o.logger.error({ agentId: b.agentId, seq: String(b.seq), reason: out.reason }, "store rejected batch");
        return { seq: b.seq, code: AckCode.ACK_CODE_INVALID, reason: `store rejected: ${out.reason}`, pointsStored: 0 };
    }
  }

  /** Resolves when every queued write has finished. */
  async idle(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}
