// The ledger contract: which batches are stored, per (agent_id, seq), plus the
// agents and JSON records (runs, campaigns). There is one implementation, the
// embedded SQLite file (embedded/ledger.ts), whatever PointStore holds the
// points; Storage (storage.ts) pairs the two.
//
// Lifecycle: open() before use, opening twice is a no-op; close() is safe twice
// and safe without open().
//
// commit() never throws for I/O. In one durable commit it records every staged
// batch of a group: a new (agent_id, seq) -> the point store's stage() runs
// inside that commit, then "ok" (resolved only once durable: it survives kill -9
// and power loss); an (agent_id, seq) already recorded, or at or below what
// retention removed -> "duplicate", nothing written; a failing commit -> every
// staged batch "retryable" with afterMs. Batches that arrive with a final
// outcome (rejected, retryable) pass through untouched. Every other method
// rejects with StoreError on failure.
//
// Sessions: each agent has at most one current session (AgentSession), which
// a hello begins; its epoch only ever grows, across collector restarts
// (ingest/seq-guard.ts uses it to refuse batches of other sessions).
import type { PointStore, Prepared, SeqIndex } from "./point-store.ts";
import type { LedgerRecords, StoredBatch, WriteOutcome } from "./types.ts";

/** The part of a point store that takes part in a ledger commit. */
export type CommitParticipant<S> = Pick<PointStore<S>, "stage" | "settle">;

export interface Ledger extends SeqIndex, LedgerRecords {
  open(): Promise<void>;
  /** Why the ledger cannot record this batch's agent_id, seq or receivedNs (the batch is rejected); undefined: it can. Pure. */
  check(b: StoredBatch): string | undefined;
  /** One durable commit for the group (see the head comment); outcomes in order. Never throws for I/O. */
  commit<S>(bs: readonly StoredBatch[], prepared: ReadonlyArray<Prepared<S>>, points: CommitParticipant<S>): Promise<WriteOutcome[]>;
  /**
   * Retention: removes the record of batches received before beforeNs but each agent's highest; their seqs keep
   * counting as stored (duplicates, never gaps). Stops early when signal aborts. Resolves how many batches' records
   * it removed.
   */
  prune(beforeNs: bigint, signal?: AbortSignal): Promise<number>;
  /**
   * Packs the record of batches received before beforeNs, each agent's highest excepted, into a smaller form; what
   * commit(), gaps() and highestSeq() answer does not change. Stops early when signal aborts (the next call goes on).
   * Resolves how many batches it packed.
   */
  fold(beforeNs: bigint, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}
