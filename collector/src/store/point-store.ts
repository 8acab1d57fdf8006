// The point-store contract: where the points of agent batches go, and where the
// HTTP API reads them back. One per backend (embedded/, influx/), chosen by
// store.kind through the registry in index.ts. Which batches are stored — the
// (agent_id, seq) record, gaps, agents, records — is the Ledger's (ledger.ts),
// never a point store's: a new backend implements this interface only.
//
// Lifecycle: open() before use, opening twice is a no-op; close() is safe twice
// and safe without open().
//
// A write is two phases driven by Storage (storage.ts), per group of batches:
// 1. prepare(): checks and encodes each batch's points and, for a backend
//    outside the ledger's file, makes them durable there (a remote write). Per
//    batch it yields either "staged" (go on to the ledger) or a final outcome:
//    "rejected" (the points themselves cannot be stored; resending never helps)
//    or "retryable" with afterMs (the backend cannot take them now). It never
//    throws for I/O. `known` tells which (agent_id, seq) the ledger holds, so a
//    remote backend need not send a resend again.
// 2. stage(): called inside the ledger's one durable commit, synchronously, for
//    each staged batch the ledger finds new; a backend in the ledger's file
//    writes its rows there, so points and seq record commit atomically (others
//    do nothing). settle() follows the commit (true) or its rollback (false).
// The ledger turns "staged" into "ok" only once its commit is durable, and into
// "duplicate" when (agent_id, seq) was already stored: writes are idempotent.
//
// Reads and retention reject with StoreError on failure.
import type { Compacted, LatestQuery, LatestRow, SeqGap, Series, SeriesQuery, StoredBatch, WriteOutcome } from "./types.ts";
import type { ColumnSeries } from "./columns.ts";

/** A batch whose points passed phase 1: `stored` points, `data` for stage(). */
export interface Staged<S> {
  kind: "staged";
  stored: number;
  data: S;
}

/** Phase 1's answer for one batch: staged, or a final (rejected or retryable) outcome. */
export type Prepared<S> = Staged<S> | WriteOutcome;

/** What the ledger holds, read by a backend that must not resend stored batches. Rejects with StoreError. */
export interface SeqIndex {
  /** 0n when the agent has no stored batch. */
  highestSeq(agentId: string): Promise<bigint>;
  /** Missing seq ranges in 1..highestSeq, ascending. */
  gaps(agentId: string): Promise<SeqGap[]>;
}

/** What a point prune removed. */
export interface PointsPruned {
  points: number;
  /** Latest-point rows of series silent since the cut-off. */
  latest: number;
}

export interface PointStore<S = unknown> {
  open(): Promise<void>;
  /** Phase 1 (see the head comment): one answer per batch, in order. Never throws for I/O. */
  prepare(bs: readonly StoredBatch[], known: SeqIndex): Promise<Array<Prepared<S>>>;
  /** Phase 2, inside the ledger's commit: writes what must commit with the batch. Throwing fails the whole commit. */
  stage(data: S): void;
  /** After the ledger's commit (committed) or rollback (!committed) of a group that called stage(). */
  settle(committed: boolean): void;
  query(q: SeriesQuery): Promise<Series[]>;
  /** query()'s answer as columns (columns.ts); absent: Storage converts query()'s rows. */
  queryColumns?(q: SeriesQuery): Promise<ColumnSeries[]>;
  latest(q: LatestQuery): Promise<LatestRow[]>;
  /** Retention: removes points older than beforeNs and latest rows of series silent since; stops early when signal aborts. */
  prune(beforeNs: bigint, signal?: AbortSignal): Promise<PointsPruned>;
  /**
   * Packs points older than cutoffNs whose log positions are at or below floor into compact chunks (embedded
   * file: compact.ts); stops early when signal aborts. Absent: nothing to pack.
   */
  compact?(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted>;
  /** Removes one-minute rollups whose every minute is older than beforeNs; resolves how many. Absent: none kept. */
  pruneRollups?(beforeNs: bigint, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}
