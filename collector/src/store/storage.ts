// Storage: the Store the collector uses (types.ts), made of the Ledger
// (ledger.ts: which batches are stored, agents, records) and a PointStore
// (point-store.ts: the points). A write runs the point store's prepare(), then
// one ledger commit that calls its stage() — see both contracts.
//
// Lifecycle: open() opens the ledger, then the point store; close() closes the
// point store, then the ledger. Safe twice and without open().
import { columnsOf, type ColumnSeries } from "./columns.ts";
import { INT64_MIN } from "./codec.ts";
import type { Ledger } from "./ledger.ts";
import type { PointLog } from "./point-log.ts";
import type { PointStore, Prepared } from "./point-store.ts";
import type {
  AgentRecord,
  AgentSession,
  Compacted,
  LatestQuery,
  LatestRow,
  PruneResult,
  SeqGap,
  Series,
  SeriesQuery,
  Store,
  StoredBatch,
  StoredRecord,
  WriteOutcome,
} from "./types.ts";

const NOT_OPEN: WriteOutcome = { kind: "retryable", afterMs: 1_000, reason: "store is not open" };
/**
 * How much older than compaction's cut-off a batch's record must be before the ledger folds it: 10 min. why:
 * resends and gap fills land on recent seqs; folded later, they join a run instead of splitting one.
 */
export const FOLD_AGE_NS = 600_000_000_000n;

export class Storage<S = unknown> implements Store {
  readonly ledger: Ledger;
  readonly points: PointStore<S>;
  readonly log: PointLog | undefined;
  #open = false;

  /** `log`: every stored point in commit order (the ledger file's points), for the sinks. */
  constructor(ledger: Ledger, points: PointStore<S>, log?: PointLog) {
    this.ledger = ledger;
    this.points = points;
    this.log = log;
  }

  /** Rejects with StoreError when either part cannot open (the ledger is closed again then). */
  async open(): Promise<void> {
    await this.ledger.open();
    try {
      await this.points.open();
    } catch (err) {
      await this.ledger.close().catch(() => undefined);
      throw err;
    }
    this.#open = true;
  }

  /** Between open() and close(). */
  protected get opened(): boolean {
    return this.#open;
  }

  async writeBatch(b: StoredBatch): Promise<WriteOutcome> {
    return (await this.writeBatches([b]))[0] as WriteOutcome;
  }

  async writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]> {
    if (!this.#open) return bs.map(() => NOT_OPEN);
    const refused = bs.map((b) => this.ledger.check(b));
    if (refused.every((r) => r === undefined)) return this.ledger.commit(bs, await this.points.prepare(bs, this.ledger), this.points);
    // why: what the ledger cannot record never reaches the point store (a remote one would keep points never acked).
    const idx: number[] = [];
    refused.forEach((r, i) => r === undefined && idx.push(i));
    const prepared = await this.points.prepare(
      idx.map((i) => bs[i] as StoredBatch),
      this.ledger,
    );
    const all: Array<Prepared<S>> = refused.map((r) => ({ kind: "rejected", reason: r ?? "" }));
    idx.forEach((i, k) => (all[i] = prepared[k] as Prepared<S>));
    return this.ledger.commit(bs, all, this.points);
  }

  highestSeq(agentId: string): Promise<bigint> {
    return this.ledger.highestSeq(agentId);
  }

  gaps(agentId: string): Promise<SeqGap[]> {
    return this.ledger.gaps(agentId);
  }

  /** Points first, then the batch record; stops early, with what was removed so far, when signal aborts. */
  async prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult> {
    const done = { ...(await this.points.prune(beforeNs, signal)), batches: 0 };
    if (signal?.aborted) return done;
    done.batches = await this.ledger.prune(beforeNs, signal);
    return done;
  }

  /** Packs the points (the point store's compact), then folds the ledger's older batch records (Ledger.fold). */
  async compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    const packed = (await this.points.compact?.(cutoffNs, floor, signal)) ?? { points: 0, chunks: 0 };
    const foldBeforeNs = cutoffNs - FOLD_AGE_NS;
    if (!signal?.aborted) await this.ledger.fold(foldBeforeNs < INT64_MIN ? INT64_MIN : foldBeforeNs, signal);
    return packed;
  }

  async pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    return (await this.points.pruneRollups?.(beforeNs, signal)) ?? 0;
  }

  query(q: SeriesQuery): Promise<Series[]> {
    return this.points.query(q);
  }

  async queryColumns(q: SeriesQuery): Promise<ColumnSeries[]> {
    return this.points.queryColumns !== undefined ? this.points.queryColumns(q) : (await this.points.query(q)).map(columnsOf);
  }

  latest(q: LatestQuery): Promise<LatestRow[]> {
    return this.points.latest(q);
  }

  beginSession(agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): Promise<AgentSession> {
    return this.ledger.beginSession(agentId, sessionId, baseSeq, minEpoch);
  }

  session(agentId: string): Promise<AgentSession | undefined> {
    return this.ledger.session(agentId);
  }

  upsertAgent(a: AgentRecord): Promise<void> {
    return this.ledger.upsertAgent(a);
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.ledger.listAgents();
  }

  getAgent(agentId: string): Promise<AgentRecord | undefined> {
    return this.ledger.getAgent(agentId);
  }

  putRecord(kind: string, id: string, doc: unknown): Promise<void> {
    return this.ledger.putRecord(kind, id, doc);
  }

  getRecord(kind: string, id: string): Promise<StoredRecord | undefined> {
    return this.ledger.getRecord(kind, id);
  }

  listRecords(kind: string, limit: number): Promise<StoredRecord[]> {
    return this.ledger.listRecords(kind, limit);
  }

  /** The point store's close failing still closes the ledger; the first failure is rethrown. */
  async close(): Promise<void> {
    this.#open = false;
    try {
      await this.points.close();
    } finally {
      await this.ledger.close();
    }
  }
}
