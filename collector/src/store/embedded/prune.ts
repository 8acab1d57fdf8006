// Retention steps for the embedded store: removes points older than a cut-off, the
// latest rows of series silent since then, and batch rows received before it.
// Work is done in small transactions (PRUNE_CHUNK rows each) so that ingest
// commits run in between; every step is idempotent, so an interrupted prune
// (crash, close, abort) is finished by the next one.
//
// Batch rows and runs (fold.ts) are the idempotency and gap record. Removing
// them is safe because the agent's highest row always stays (highestSeq, the
// Welcome) and the removed range is recorded per agent in the pruned table: a
// resend of a seq at or below it is a duplicate, and gaps are only looked for
// above it. A run counts as old once its last batch is.
import type { DatabaseSync } from "node:sqlite";
import type { Conn } from "./file.ts";

export const PRUNE_CHUNK = 5_000;

const SQL = {
  measurements: "SELECT id FROM measurements ORDER BY id",
  points: "DELETE FROM points WHERE rowid IN (SELECT rowid FROM points WHERE measurement_id = ? AND time_ns < ? LIMIT ?)",
  latest: "DELETE FROM latest WHERE time_ns < ?",
  oldChunks: "SELECT rowid, n FROM chunks WHERE measurement_id = ? AND end_ns < ? LIMIT ?",
  rollups: "DELETE FROM rollups WHERE rowid IN (SELECT rowid FROM rollups WHERE measurement_id = ? AND end_ns < ? LIMIT ?)",
  chunk: "DELETE FROM chunks WHERE rowid = ?",
  oldBatches:
    "SELECT b.agent_id AS agent_id, max(b.seq) AS through, (SELECT max(seq) FROM batches WHERE agent_id = b.agent_id) AS highest " +
    "FROM batches b WHERE b.received_ns < ? GROUP BY b.agent_id",
  watermark:
    "INSERT INTO pruned (agent_id, through_seq) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE " +
    "SET through_seq = max(through_seq, excluded.through_seq)",
  // why: a scan; runs are few (about one per agent and hour) and this runs once an hour
  oldRuns: "SELECT agent_id, max(to_seq) AS through FROM batch_runs WHERE last_received_ns < ? GROUP BY agent_id",
  highest: "SELECT max(seq) AS seq FROM batches WHERE agent_id = ?",
  batchRows: "DELETE FROM batches WHERE agent_id = ?1 AND seq IN (SELECT seq FROM batches WHERE agent_id = ?1 AND seq <= ?2 LIMIT ?3)",
  batchRuns:
    "DELETE FROM batch_runs WHERE agent_id = ?1 AND from_seq IN " +
    "(SELECT from_seq FROM batch_runs WHERE agent_id = ?1 AND from_seq <= ?2 AND to_seq <= ?2 LIMIT ?3) RETURNING from_seq, to_seq",
  through: "SELECT through_seq FROM pruned WHERE agent_id = ?",
} as const;

/** One agent's batch rows to remove: seq 1..through (its highest row stays). */
export interface BatchRange {
  agentId: string;
  through: bigint;
}

/** Repeats a chunked step until it removes less than PRUNE_CHUNK or signal aborts, yielding to the event loop in between; resolves the total. */
export async function inChunks(step: () => number, signal?: AbortSignal): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const n = step();
    total += n;
    if (n < PRUNE_CHUNK) break;
    await new Promise<void>((r) => setImmediate(r));
  }
  return total;
}

/** The point store's synchronous prune steps (points, latest rows); the caller decides when each runs. */
export class PointPruneSteps {
  readonly #c: Conn;

  constructor(c: Conn) {
    this.#c = c;
  }

  measurementIds(): bigint[] {
    return this.#c
      .stmt(SQL.measurements)
      .all()
      .map((r) => BigInt(r.id as bigint));
  }

  /** Removes up to PRUNE_CHUNK points of one measurement older than beforeNs; returns how many. */
  points(measurementId: bigint, beforeNs: bigint): number {
    return tx(this.#c.db, () => Number(this.#c.stmt(SQL.points).run(measurementId, beforeNs, PRUNE_CHUNK).changes));
  }

  /** Removes up to PRUNE_CHUNK chunks of one measurement whose every point is older than beforeNs. */
  chunks(measurementId: bigint, beforeNs: bigint): { chunks: number; points: number } {
    return tx(this.#c.db, () => {
      const done = { chunks: 0, points: 0 };
      for (const r of this.#c.stmt(SQL.oldChunks).all(measurementId, beforeNs, PRUNE_CHUNK)) {
        this.#c.stmt(SQL.chunk).run(r.rowid as bigint);
        done.chunks++;
        done.points += Number(r.n);
      }
      return done;
    });
  }

  /** Removes up to PRUNE_CHUNK rollups of one measurement whose last minute starts before beforeNs. */
  rollups(measurementId: bigint, beforeNs: bigint): number {
    return tx(this.#c.db, () => Number(this.#c.stmt(SQL.rollups).run(measurementId, beforeNs, PRUNE_CHUNK).changes));
  }

  latest(beforeNs: bigint): number {
    return tx(this.#c.db, () => Number(this.#c.stmt(SQL.latest).run(beforeNs).changes));
  }
}

/** The ledger's synchronous prune steps (batch rows, watermarks); the caller decides when each runs. */
export class BatchPruneSteps {
  readonly #c: Conn;

  constructor(c: Conn) {
    this.#c = c;
  }

  /** Per agent with batch rows or runs received before beforeNs, the range to remove, the highest row excluded. */
  batchRanges(beforeNs: bigint): BatchRange[] {
    const old = new Map<string, { through: bigint; highest: bigint }>();
    for (const r of this.#c.stmt(SQL.oldBatches).all(beforeNs)) {
      old.set(String(r.agent_id), { through: BigInt(r.through as bigint), highest: BigInt(r.highest as bigint) });
    }
    for (const r of this.#c.stmt(SQL.oldRuns).all(beforeNs)) {
      const agentId = String(r.agent_id);
      const through = BigInt(r.through as bigint);
      const seen = old.get(agentId);
      // why: every run lies below the agent's highest row (the fold never takes it); without one, the top run stays
      const highest = seen?.highest ?? BigInt((this.#c.stmt(SQL.highest).get(agentId)?.seq as bigint | null) ?? through);
      old.set(agentId, { through: seen === undefined || through > seen.through ? through : seen.through, highest });
    }
    const out: BatchRange[] = [];
    for (const [agentId, { through, highest }] of old) {
      const keep = through < highest ? through : highest - 1n;
      if (keep >= 1n) out.push({ agentId, through: keep });
    }
    return out;
  }

  /** Records that seqs up to r.through count as stored; returns the agent's watermark after. */
  watermark(r: BatchRange): bigint {
    return tx(this.#c.db, () => {
      this.#c.stmt(SQL.watermark).run(r.agentId, r.through);
      return BigInt(this.#c.stmt(SQL.through).get(r.agentId)?.through_seq as bigint);
    });
  }

  /** Removes up to PRUNE_CHUNK of the agent's batch rows at or below r.through; returns how many. */
  batchRows(r: BatchRange): number {
    return tx(this.#c.db, () => Number(this.#c.stmt(SQL.batchRows).run(r.agentId, r.through, PRUNE_CHUNK).changes));
  }

  /** Removes up to PRUNE_CHUNK of the agent's runs wholly at or below r.through; returns how many, and the batches they held. */
  batchRuns(r: BatchRange): { runs: number; batches: number } {
    return tx(this.#c.db, () => {
      const gone = this.#c.stmt(SQL.batchRuns).all(r.agentId, r.through, PRUNE_CHUNK);
      return { runs: gone.length, batches: gone.reduce((n, g) => n + Number((g.to_seq as bigint) - (g.from_seq as bigint) + 1n), 0) };
    });
  }
}

/** Runs fn in one BEGIN IMMEDIATE transaction, rolled back when it throws. */
export function tx<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}
