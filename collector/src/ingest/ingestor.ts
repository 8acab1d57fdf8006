// Validated batches -> store, one write at a time, with retries for
// retryable store outcomes. The returned Ack is what the agent sees: it is
// sent only after the store reported the batch durable (or duplicate/invalid).
import { AckCode, type Ack, type Batch } from "@eastwest/proto";
import { nowNs, type Logger } from "@eastwest/common";
import type { Store } from "../store/types.ts";
import { validateBatch } from "./validate.ts";
import type { PipelineStats } from "./stats.ts";

export interface IngestorOptions {
  store: Store;
  logger: Logger;
  stats: PipelineStats;
  maxRetries?: number;
  onStored?: (agentId: string, seq: bigint) => void;
}

export class Ingestor {
  readonly #o: IngestorOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: IngestorOptions) {
    this.#o = o;
  }

  /** Validates and stores one batch; resolves with the ack to send. Never rejects. */
  ingest(batch: Batch, helloAgentId?: string): Promise<Ack> {
    const received = nowNs();
    this.#o.stats.batchesReceived += 1n;
    const v = validateBatch(batch, received, helloAgentId);
    if (!v.ok) {
      this.#o.stats.batchesRejected += 1n;
      this.#o.logger.warn({ agentId: batch.agentId, seq: String(batch.seq), reason: v.reason }, "batch rejected");
      return Promise.resolve({ seq: batch.seq, code: AckCode.ACK_CODE_INVALID, reason: v.reason, pointsStored: 0 });
    }
    const job = this.#queue.then(() => this.#write(batch.agentId, batch.seq, v.points, received));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  async #write(agentId: string, seq: bigint, points: Parameters<Store["writeBatch"]>[0]["points"], receivedNs: bigint): Promise<Ack> {
    const maxRetries = this.#o.maxRetries ?? 20;
    for (let attempt = 0; ; attempt++) {
      const out = await this.#o.store.writeBatch({ agentId, seq, points, receivedNs });
      switch (out.kind) {
        case "ok":
          this.#o.stats.batchesStored += 1n;
          this.#o.stats.pointsStored += BigInt(out.stored);
          this.#o.stats.lagNs = nowNs() - receivedNs;
          this.#o.onStored?.(agentId, seq);
          return { seq, code: AckCode.ACK_CODE_STORED, reason: "", pointsStored: out.stored };
        case "duplicate":
          this.#o.stats.batchesDuplicate += 1n;
          this.#o.onStored?.(agentId, seq);
          return { seq, code: AckCode.ACK_CODE_DUPLICATE, reason: "already stored", pointsStored: 0 };
        case "rejected":
          this.#o.stats.storeErrors += 1n;
          this.#o.logger.error({ agentId, seq: String(seq), reason: out.reason }, "store rejected batch");
          return { seq, code: AckCode.ACK_CODE_INVALID, reason: `store rejected: ${out.reason}`, pointsStored: 0 };
        case "retryable":
          this.#o.stats.storeErrors += 1n;
          if (attempt >= maxRetries) throw new Error(`store unavailable after ${attempt + 1} attempts: ${out.reason}`);
          this.#o.logger.warn({ agentId, seq: String(seq), reason: out.reason, afterMs: out.afterMs }, "store busy, retrying");
          await new Promise((r) => setTimeout(r, out.afterMs));
      }
    }
  }

  /** Resolves when every queued write has finished. */
  async idle(): Promise<void> {
    await this.#queue;
  }
}
