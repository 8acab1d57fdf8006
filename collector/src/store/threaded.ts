// The store with its writes in a thread (store.writer "thread", embedded kind): a Storage whose group commits,
// retention and compaction go to the writer thread's store on the same file (embedded/write-thread.ts), while reads,
// agents, sessions and records stay on the ingest thread's connection. What the thread cannot do becomes what the
// store would have answered: a write "retryable" (nothing acked, the agent resends), a retention or compaction a
// StoreError.
import type { WriterThread } from "./embedded/write-thread.ts";
import type { Ledger } from "./ledger.ts";
import type { PointLog } from "./point-log.ts";
import type { PointStore } from "./point-store.ts";
import { Storage } from "./storage.ts";
import type { Compacted, PruneResult, StoredBatch, WriteOutcome } from "./types.ts";

const RETRY_MS = 1_000;

export class ThreadedStore<S = unknown> extends Storage<S> {
  readonly #writer: WriterThread;

  constructor(ledger: Ledger, points: PointStore<S>, log: PointLog | undefined, writer: WriterThread) {
    super(ledger, points, log);
    this.#writer = writer;
  }

  override async open(): Promise<void> {
    await super.open();
    this.#writer.open();
  }

  override async writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]> {
    if (!this.opened) return bs.map(() => ({ kind: "retryable", afterMs: RETRY_MS, reason: "store is not open" }));
    try {
      return await this.#writer.call<WriteOutcome[]>({ kind: "write", batches: bs as StoredBatch[] });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return bs.map(() => ({ kind: "retryable", afterMs: RETRY_MS, reason }));
    }
  }

  override prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult> {
    return this.#writer.call({ kind: "prune", beforeNs }, signal);
  }

  override compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    return this.#writer.call({ kind: "compact", cutoffNs, floor }, signal);
  }

  override pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    return this.#writer.call({ kind: "pruneRollups", beforeNs }, signal);
  }

  /** The thread first (after what is in flight), then the ingest thread's connection. */
  override async close(): Promise<void> {
    await this.#writer.close();
    await super.close();
  }
}
