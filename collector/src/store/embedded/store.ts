// The embedded store: one SQLite file (node:sqlite, no server, no native build)
// in WAL mode with synchronous=FULL. See schema.ts for the layout.
//
// node:sqlite is synchronous: each call blocks the event loop for its duration
// (a batch commit includes one fsync of the WAL).
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { nowNs } from "@eastwest/common";
import { DocStore } from "./docs.ts";
import { Reader } from "./read.ts";
import { prepareFile } from "./schema.ts";
import { BatchWriter } from "./write.ts";
import { PRUNE_CHUNK, PruneSteps } from "./prune.ts";
import { storeError } from "./sqlite-errors.ts";
import {
  StoreError,
  type AgentRecord,
  type LatestQuery,
  type LatestRow,
  type PruneResult,
  type SeqGap,
  type Series,
  type SeriesQuery,
  type Store,
  type StoredBatch,
  type StoredRecord,
  type WriteOutcome,
} from "../types.ts";

export interface EmbeddedStoreOptions {
  /** The database file; created with its directory when missing. */
  path: string;
  /** How long SQLite waits on a lock held by another connection before "busy" (ms); the wait blocks the event loop. Default 250. */
  busyTimeoutMs?: number;
  /** Clock for record timestamps (Unix epoch ns); tests inject one. */
  clock?: () => bigint;
}

interface Open {
  db: DatabaseSync;
  /** Prepared statements, cached by SQL text. */
  stmt: (sql: string) => StatementSync;
  writer: BatchWriter;
  reader: Reader;
  docs: DocStore;
  prune: PruneSteps;
}

const HIGHEST_SEQ_SQL = "SELECT max(seq) AS seq FROM batches WHERE agent_id = ?";
// Seqs at or below the agent's pruned watermark (retention) count as stored.
const GAPS_SQL =
  "SELECT prev + 1 AS gap_from, seq - 1 AS gap_to FROM (" +
  "SELECT seq, lag(seq, 1, ?2) OVER (ORDER BY seq) AS prev FROM batches WHERE agent_id = ?1 AND seq > ?2" +
  ") WHERE seq - prev > 1 ORDER BY seq";
const WATERMARK_SQL = "SELECT through_seq FROM pruned WHERE agent_id = ?";

export class EmbeddedStore implements Store {
  readonly #opts: EmbeddedStoreOptions;
  #open: Open | undefined;

  /** A path alone takes the defaults. */
  constructor(opts: EmbeddedStoreOptions | string) {
    this.#opts = typeof opts === "string" ? { path: opts } : opts;
  }

  /** Opens (or creates) the file. Rejects with StoreError when it cannot; opening twice is a no-op. */
  async open(): Promise<void> {
    if (this.#open !== undefined) return;
    const path = this.#opts.path;
    let db: DatabaseSync | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path, { timeout: this.#opts.busyTimeoutMs ?? 250, readBigInts: true });
      prepareFile(db, path);
      const docs = new DocStore(db, this.#opts.clock ?? nowNs);
      const stmt = statementCache(db);
      this.#open = { db, stmt, writer: new BatchWriter(db), reader: new Reader(db), docs, prune: new PruneSteps(db, stmt) };
    } catch (err) {
      if (db?.isOpen) db.close();
      throw err instanceof StoreError ? err : storeError(`cannot open store ${path}`, err);
    }
  }

  async writeBatch(b: StoredBatch): Promise<WriteOutcome> {
    const open = this.#open;
    if (open === undefined) return { kind: "retryable", afterMs: 1_000, reason: "store is not open" };
    return open.writer.write(b);
  }

  async writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]> {
    const open = this.#open;
    if (open === undefined) return bs.map(() => ({ kind: "retryable", afterMs: 1_000, reason: "store is not open" }));
    return open.writer.writeMany(bs);
  }

  async highestSeq(agentId: string): Promise<bigint> {
    return this.#run("highestSeq", (o) => {
      const row = o.stmt(HIGHEST_SEQ_SQL).get(agentId);
      return (row?.seq as bigint | null) ?? 0n;
    });
  }

  async gaps(agentId: string): Promise<SeqGap[]> {
    return this.#run("gaps", (o) =>
      o
        .stmt(GAPS_SQL)
        .all(agentId, (o.stmt(WATERMARK_SQL).get(agentId)?.through_seq as bigint | undefined) ?? 0n)
        .map((r) => ({ from: r.gap_from as bigint, to: r.gap_to as bigint })),
    );
  }

  /**
   * Retention: removes points older than beforeNs, latest rows of series silent since, and batch
   * rows received before it (see prune.ts). Runs in small transactions and yields to the
   * event loop between them; stops early, with what it removed so far, when signal aborts.
   */
  async prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult> {
    const done: PruneResult = { points: 0, latest: 0, batches: 0 };
    for (const id of this.#run("prune", (o) => o.prune.measurementIds())) done.points += await this.#chunks((o) => o.prune.points(id, beforeNs), signal);
    if (signal?.aborted) return done;
    done.latest = this.#run("prune", (o) => o.prune.latest(beforeNs));
    for (const range of this.#run("prune", (o) => o.prune.batchRanges(beforeNs))) {
      this.#run("prune", (o) => o.writer.pruned(range.agentId, o.prune.watermark(range)));
      done.batches += await this.#chunks((o) => o.prune.batchRows(range), signal);
    }
    return done;
  }

  /** Repeats a chunked prune step until it removes less than a chunk or signal aborts; yields in between. */
  async #chunks(step: (o: Open) => number, signal?: AbortSignal): Promise<number> {
    let total = 0;
    while (!signal?.aborted) {
      const n = this.#run("prune", step);
      total += n;
      if (n < PRUNE_CHUNK) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    return total;
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    return this.#run("query", (o) => o.reader.query(q));
  }

  async latest(q: LatestQuery): Promise<LatestRow[]> {
    return this.#run("latest", (o) => o.reader.latest(q));
  }

  async upsertAgent(a: AgentRecord): Promise<void> {
    this.#run("upsertAgent", (o) => o.docs.upsertAgent(a));
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.#run("listAgents", (o) => o.docs.listAgents());
  }

  async getAgent(agentId: string): Promise<AgentRecord | undefined> {
    return this.#run("getAgent", (o) => o.docs.getAgent(agentId));
  }

  async putRecord(kind: string, id: string, doc: unknown): Promise<void> {
    this.#run("putRecord", (o) => o.docs.putRecord(kind, id, doc));
  }

  async getRecord(kind: string, id: string): Promise<StoredRecord | undefined> {
    return this.#run("getRecord", (o) => o.docs.getRecord(kind, id));
  }

  async listRecords(kind: string, limit: number): Promise<StoredRecord[]> {
    return this.#run("listRecords", (o) => o.docs.listRecords(kind, limit));
  }

  /** Safe twice and without open. A failing close still leaves the store closed. */
  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    if (open === undefined || !open.db.isOpen) return;
    try {
      open.db.close();
    } catch (err) {
      throw storeError("close", err);
    }
  }

  /** Runs fn on the open database; any failure becomes a StoreError naming the operation. */
  #run<T>(operation: string, fn: (o: Open) => T): T {
    const open = this.#open;
    if (open === undefined) throw new StoreError(`${operation}: store is not open`, true);
    try {
      return fn(open);
    } catch (err) {
      throw storeError(operation, err);
    }
  }
}

function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const cache = new Map<string, StatementSync>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}
