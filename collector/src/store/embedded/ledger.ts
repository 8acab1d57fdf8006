// The ledger, in the embedded SQLite file (file.ts): the batches table (one row
// per recently stored (agent_id, seq)), batch_runs (older ones, folded into runs
// of consecutive seqs: fold.ts), the pruned watermarks, agents, their sessions
// (sessions.ts) and records.
// Contract: ledger.ts one level up. commit() is one BEGIN IMMEDIATE .. COMMIT
// (one fsync of the WAL) for a whole group, the point store's stage() inside.
import type { CommitParticipant, Ledger } from "../ledger.ts";
import type { Prepared } from "../point-store.ts";
import { INT64_MAX, INT64_MIN } from "../codec.ts";
import type { AgentRecord, AgentSession, SeqGap, StoredBatch, StoredRecord, WriteOutcome } from "../types.ts";
import { DocStore } from "./docs.ts";
import { runOn, type Conn, type EmbeddedFile } from "./file.ts";
import { BatchFoldSteps, inRun } from "./fold.ts";
import { BatchPruneSteps, inChunks } from "./prune.ts";
import { beginSession, readSession } from "./sessions.ts";
import { retryableOutcome, storeError } from "./sqlite-errors.ts";

interface Open {
  conn: Conn;
  docs: DocStore;
  prune: BatchPruneSteps;
  fold: BatchFoldSteps;
  /** Per agent, the highest seq retention removed (the pruned table): at or below it, a batch is a duplicate. */
  pruned: Map<string, bigint>;
}

const SQL = {
  batch: "INSERT INTO batches (agent_id, seq, received_ns, points) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  highestSeq: "SELECT max(seq) AS seq FROM batches WHERE agent_id = ?",
  // Seqs at or below the agent's pruned watermark (retention) count as stored; above it, rows and runs are
  // intervals (lo..hi), and a gap is what lies between one and the highest end before it.
  gaps:
    "SELECT prev + 1 AS gap_from, lo - 1 AS gap_to FROM (" +
    "SELECT lo, coalesce(max(hi) OVER (ORDER BY lo ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), ?2) AS prev FROM (" +
    "SELECT seq AS lo, seq AS hi FROM batches WHERE agent_id = ?1 AND seq > ?2 UNION ALL " +
    "SELECT max(from_seq, ?2 + 1), to_seq FROM batch_runs WHERE agent_id = ?1 AND to_seq > ?2)" +
    ") WHERE lo - prev > 1 ORDER BY lo",
  watermark: "SELECT through_seq FROM pruned WHERE agent_id = ?",
  watermarks: "SELECT agent_id, through_seq FROM pruned",
} as const;

const DUPLICATE: WriteOutcome = { kind: "duplicate" };

/** Why the ledger cannot record b (agent_id, seq, received_ns), or undefined. Pure. */
export function checkBatch(b: StoredBatch): string | undefined {
  if (typeof b.agentId !== "string" || b.agentId === "") return "agent_id is empty";
  if (typeof b.seq !== "bigint" || b.seq < 1n || b.seq > INT64_MAX) return `seq ${String(b.seq)} is outside 1..2^63-1`;
  if (typeof b.receivedNs !== "bigint" || b.receivedNs < INT64_MIN || b.receivedNs > INT64_MAX) {
    return `received_ns ${String(b.receivedNs)} is not a 64-bit integer`;
  }
  return undefined;
}

export class EmbeddedLedger implements Ledger {
  readonly #file: EmbeddedFile;
  #open: Open | undefined;

  constructor(file: EmbeddedFile) {
    this.#file = file;
  }

  /** Opens (or creates) the file. Rejects with StoreError when it cannot; opening twice is a no-op. */
  async open(): Promise<void> {
    if (this.#open !== undefined) return;
    const conn = this.#file.acquire();
    try {
      const pruned = new Map<string, bigint>();
      for (const row of conn.stmt(SQL.watermarks).iterate()) pruned.set(String(row.agent_id), BigInt(row.through_seq as bigint));
      const fold = new BatchFoldSteps(conn);
      this.#open = { conn, docs: new DocStore(conn.db, this.#file.clock), prune: new BatchPruneSteps(conn), fold, pruned };
    } catch (err) {
      this.#file.release();
      throw storeError(`cannot open store ${this.#file.opts.path}`, err);
    }
  }

  check(b: StoredBatch): string | undefined {
    return checkBatch(b);
  }

  async commit<S>(bs: readonly StoredBatch[], prepared: ReadonlyArray<Prepared<S>>, points: CommitParticipant<S>): Promise<WriteOutcome[]> {
    const out = prepared.map((p): WriteOutcome => (p.kind === "staged" ? { kind: "ok", stored: p.stored } : p));
    if (!prepared.some((p) => p.kind === "staged")) return out;
    const open = this.#open;
    if (open === undefined) return prepared.map((p, i) => (p.kind === "staged" ? { kind: "retryable", afterMs: 1_000, reason: "store is not open" } : (out[i] as WriteOutcome)));
    const { db, stmt } = open.conn;
    this.#file.gate.enter();
    try {
      db.exec("BEGIN IMMEDIATE");
      const insert = stmt(SQL.batch);
      prepared.forEach((p, i) => {
        if (p.kind !== "staged") return;
        const b = bs[i] as StoredBatch;
        const through = open.pruned.get(b.agentId);
        if (through !== undefined && b.seq <= through) return void (out[i] = DUPLICATE);
        if (inRun(open.conn, b.agentId, b.seq)) return void (out[i] = DUPLICATE);
        if (Number(insert.run(b.agentId, b.seq, b.receivedNs, p.stored).changes) === 0) out[i] = DUPLICATE;
        else points.stage(p.data);
      });
      db.exec("COMMIT");
    } catch (err) {
      rollback(open.conn);
      points.settle(false);
      const retry = retryableOutcome(err);
      return prepared.map((p, i) => (p.kind === "staged" ? retry : (out[i] as WriteOutcome)));
    } finally {
      this.#file.gate.leave();
    }
    points.settle(true);
    return out;
  }

  async highestSeq(agentId: string): Promise<bigint> {
    return runOn(this.#open, "highestSeq", (o) => (o.conn.stmt(SQL.highestSeq).get(agentId)?.seq as bigint | null) ?? 0n);
  }

  async gaps(agentId: string): Promise<SeqGap[]> {
    return runOn(this.#open, "gaps", (o) =>
      o.conn
        .stmt(SQL.gaps)
        .all(agentId, (o.conn.stmt(SQL.watermark).get(agentId)?.through_seq as bigint | undefined) ?? 0n)
        .map((r) => ({ from: r.gap_from as bigint, to: r.gap_to as bigint })),
    );
  }

  /** Per agent: records the watermark first, then removes the rows and runs under it in small transactions (see prune.ts). */
  async prune(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    let removed = 0;
    for (const range of runOn(this.#open, "prune", (o) => o.prune.batchRanges(beforeNs))) {
      runOn(this.#open, "prune", (o) => {
        const through = o.prune.watermark(range);
        if (through > (o.pruned.get(range.agentId) ?? 0n)) o.pruned.set(range.agentId, through);
      });
      removed += await inChunks(() => runOn(this.#open, "prune", (o) => o.prune.batchRows(range)), signal);
      // why: a run counts as the batches it held, so the figure means the same whether or not rows were folded
      await inChunks(() => {
        const gone = runOn(this.#open, "prune", (o) => o.prune.batchRuns(range));
        removed += gone.batches;
        return gone.runs;
      }, signal);
    }
    return removed;
  }

  /** Per transaction of up to FOLD_CHUNK rows (fold.ts), with the event loop free in between. */
  async fold(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    const queue = runOn(this.#open, "fold", (o) => o.fold.agents(beforeNs));
    let folded = 0;
    while (queue.length > 0 && !signal?.aborted) {
      runOn(this.#open, "fold", (o) => {
        folded += o.fold.step(queue, beforeNs).rows;
      });
      if (queue.length > 0) await new Promise<void>((r) => setImmediate(r));
    }
    return folded;
  }

  async beginSession(agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): Promise<AgentSession> {
    return runOn(this.#open, "beginSession", (o) => beginSession(o.conn, agentId, sessionId, baseSeq, minEpoch));
  }

  async session(agentId: string): Promise<AgentSession | undefined> {
    return runOn(this.#open, "session", (o) => readSession(o.conn, agentId));
  }

  async upsertAgent(a: AgentRecord): Promise<void> {
    runOn(this.#open, "upsertAgent", (o) => o.docs.upsertAgent(a));
  }

  async listAgents(): Promise<AgentRecord[]> {
    return runOn(this.#open, "listAgents", (o) => o.docs.listAgents());
  }

  async getAgent(agentId: string): Promise<AgentRecord | undefined> {
    return runOn(this.#open, "getAgent", (o) => o.docs.getAgent(agentId));
  }

  async putRecord(kind: string, id: string, doc: unknown): Promise<void> {
    runOn(this.#open, "putRecord", (o) => o.docs.putRecord(kind, id, doc));
  }

  async getRecord(kind: string, id: string): Promise<StoredRecord | undefined> {
    return runOn(this.#open, "getRecord", (o) => o.docs.getRecord(kind, id));
  }

  async listRecords(kind: string, limit: number): Promise<StoredRecord[]> {
    return runOn(this.#open, "listRecords", (o) => o.docs.listRecords(kind, limit));
  }

  /** Safe twice and without open; the file closes with its last user (a failing close rejects with StoreError, still closed). */
  async close(): Promise<void> {
    if (this.#open === undefined) return;
    this.#open = undefined;
    this.#file.release();
  }
}

function rollback(c: Conn): void {
  try {
    if (c.db.isOpen && c.db.isTransaction) c.db.exec("ROLLBACK");
  } catch {
    // why: SQLite may already have rolled back (e.g. after SQLITE_FULL); the
    // original error is what the caller reports.
  }
}
