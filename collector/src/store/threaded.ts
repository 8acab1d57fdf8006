// The store with its writes in a thread (store.writer "thread", embedded kind): the ingest thread's Storage answers
// reads, agents, sessions and records; group commits, retention and compaction go to the writer thread's store on the
// same file (embedded/write-thread.ts). What the thread cannot do becomes what the store would have answered: a write
// "retryable" (nothing acked, the agent resends), a retention or compaction a StoreError.
import type { ColumnSeries } from "./columns.ts";
import type { WriterThread } from "./embedded/write-thread.ts";
import type { PointLog } from "./point-log.ts";
import type { Storage } from "./storage.ts";
import type { AgentRecord, AgentSession, Compacted, LatestQuery, LatestRow, PruneResult, SeqGap, Series, SeriesQuery, Store, StoredBatch, StoredRecord, WriteOutcome } from "./types.ts";

const RETRY_MS = 1_000;

export class ThreadedStore implements Store {
  readonly #local: Storage;
  readonly #writer: WriterThread;
  #open = false;

  constructor(local: Storage, writer: WriterThread) {
    this.#local = local;
    this.#writer = writer;
  }

  get log(): PointLog | undefined {
    return this.#local.log;
  }

  async open(): Promise<void> {
    await this.#local.open();
    this.#writer.open();
    this.#open = true;
  }

  async writeBatch(b: StoredBatch): Promise<WriteOutcome> {
    return (await this.writeBatches([b]))[0] as WriteOutcome;
  }

  async writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]> {
    if (!this.#open) return bs.map(() => ({ kind: "retryable", afterMs: RETRY_MS, reason: "store is not open" }));
    try {
      return await this.#writer.call<WriteOutcome[]>({ kind: "write", batches: bs as StoredBatch[] });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return bs.map(() => ({ kind: "retryable", afterMs: RETRY_MS, reason }));
    }
  }

  prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult> {
    return this.#writer.call({ kind: "prune", beforeNs }, signal);
  }

  compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    return this.#writer.call({ kind: "compact", cutoffNs, floor }, signal);
  }

  pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    return this.#writer.call({ kind: "pruneRollups", beforeNs }, signal);
  }

  highestSeq(agentId: string): Promise<bigint> {
    return this.#local.highestSeq(agentId);
  }

  gaps(agentId: string): Promise<SeqGap[]> {
    return this.#local.gaps(agentId);
  }

  query(q: SeriesQuery): Promise<Series[]> {
    return this.#local.query(q);
  }

  queryColumns(q: SeriesQuery): Promise<ColumnSeries[]> {
    return this.#local.queryColumns(q);
  }

  latest(q: LatestQuery): Promise<LatestRow[]> {
    return this.#local.latest(q);
  }

  beginSession(agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): Promise<AgentSession> {
    return this.#local.beginSession(agentId, sessionId, baseSeq, minEpoch);
  }

  session(agentId: string): Promise<AgentSession | undefined> {
    return this.#local.session(agentId);
  }

  upsertAgent(a: AgentRecord): Promise<void> {
    return this.#local.upsertAgent(a);
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.#local.listAgents();
  }

  getAgent(agentId: string): Promise<AgentRecord | undefined> {
    return this.#local.getAgent(agentId);
  }

  putRecord(kind: string, id: string, doc: unknown): Promise<void> {
    return this.#local.putRecord(kind, id, doc);
  }

  getRecord(kind: string, id: string): Promise<StoredRecord | undefined> {
    return this.#local.getRecord(kind, id);
  }

  listRecords(kind: string, limit: number): Promise<StoredRecord[]> {
    return this.#local.listRecords(kind, limit);
  }

  /** The thread first (after what is in flight), then the ingest thread's connection. */
  async close(): Promise<void> {
    this.#open = false;
    await this.#writer.close();
    await this.#local.close();
  }
}
