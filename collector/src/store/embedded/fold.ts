// The ledger's fold: batch rows (one per stored (agent_id, seq)) received before a cut-off become runs of
// consecutive seqs in batch_runs (schema.ts), one row per run instead of one per batch — the same record in a
// fraction of the room (an agent sends a batch a second).
//
// What the ledger relies on:
// - a stored seq is a row or inside one run, never both, and a run holds only stored seqs (no gap inside it), so
//   gaps read over rows and runs together are exactly those of the rows alone;
// - each agent's highest row stays a row: highestSeq and the Welcome read rows only;
// - commit() looks every batch's seq up in the runs (one index lookup), not in a map of what this connection folded:
//   another connection on the file (the writer thread's, a second collector's) may have folded since.
// A step is one transaction that writes runs and deletes the rows they replace: a crash leaves either the rows or
// the runs, never neither. A folded row is gone, so a step done twice finds nothing; an interrupted fold is
// finished by the next one.
import { PRUNE_CHUNK, tx } from "./prune.ts";
import type { Conn } from "./file.ts";

/** Rows folded per transaction, across agents. */
export const FOLD_CHUNK = PRUNE_CHUNK;
/**
 * A run spans at most an hour of receive times. why: retention removes a run once its last batch is older than the
 * cut-off; unbounded, an agent that never misses a seq would keep one run, and the gaps below it, for ever.
 */
export const RUN_SPAN_NS = 3_600n * 1_000_000_000n;

interface Run {
  from: bigint;
  to: bigint;
  first: bigint;
  last: bigint;
  points: bigint;
}

const COLS = "from_seq, to_seq, first_received_ns, last_received_ns, points";
const SQL = {
  agents: "SELECT DISTINCT agent_id FROM batches WHERE received_ns < ?",
  highest: "SELECT max(seq) AS seq FROM batches WHERE agent_id = ?",
  rows: "SELECT seq, received_ns, points FROM batches WHERE agent_id = ?1 AND seq < ?2 AND received_ns < ?3 ORDER BY seq LIMIT ?4",
  before: `SELECT ${COLS} FROM batch_runs WHERE agent_id = ? AND from_seq < ? ORDER BY from_seq DESC LIMIT 1`,
  at: `SELECT ${COLS} FROM batch_runs WHERE agent_id = ? AND from_seq = ?`,
  put: `INSERT OR REPLACE INTO batch_runs (agent_id, ${COLS}) VALUES (?, ?, ?, ?, ?, ?)`,
  dropRun: "DELETE FROM batch_runs WHERE agent_id = ? AND from_seq = ?",
  dropRows: "DELETE FROM batches WHERE agent_id = ? AND seq BETWEEN ? AND ?",
  covering: "SELECT to_seq FROM batch_runs WHERE agent_id = ? AND from_seq <= ? ORDER BY from_seq DESC LIMIT 1",
} as const;

/** Whether seq lies inside one of the agent's runs (one index lookup). */
export function inRun(c: Conn, agentId: string, seq: bigint): boolean {
  const to = c.stmt(SQL.covering).get(agentId, seq)?.to_seq as bigint | undefined;
  return to !== undefined && to >= seq;
}

/** The ledger's synchronous fold steps; the caller decides when each runs. */
export class BatchFoldSteps {
  readonly #c: Conn;

  constructor(c: Conn) {
    this.#c = c;
  }

  /** Agents with batch rows received before beforeNs (from the received_ns index). */
  agents(beforeNs: bigint): string[] {
    return this.#c
      .stmt(SQL.agents)
      .all(beforeNs)
      .map((r) => String(r.agent_id));
  }

  /**
   * One transaction: folds up to FOLD_CHUNK rows received before beforeNs (each agent's highest row excluded) of the
   * agents at the front of queue, removing from queue those it finished. Returns the rows folded.
   */
  step(queue: string[], beforeNs: bigint): { rows: number } {
    return tx(this.#c.db, () => {
      let budget = FOLD_CHUNK;
      while (queue.length > 0 && budget > 0) {
        const agentId = queue[0] as string;
        const n = this.#agent(agentId, beforeNs, budget);
        // why: an agent that filled the budget may have more rows; it stays at the front for the next step
        if (n < budget) queue.shift();
        budget -= n;
      }
      return { rows: FOLD_CHUNK - budget };
    });
  }

  /** Folds up to limit of one agent's old rows; returns how many. */
  #agent(agentId: string, beforeNs: bigint, limit: number): number {
    const highest = this.#c.stmt(SQL.highest).get(agentId)?.seq as bigint | null | undefined;
    if (highest === null || highest === undefined) return 0;
    const rows = this.#c.stmt(SQL.rows).all(agentId, highest, beforeNs, limit);
    let cur: Run | undefined;
    for (const r of rows) {
      const seq = r.seq as bigint;
      const one: Run = { from: seq, to: seq, first: r.received_ns as bigint, last: r.received_ns as bigint, points: BigInt(r.points as bigint) };
      if (cur !== undefined && seq === cur.to + 1n && fits(cur, one)) cur = join(cur, one);
      else {
        if (cur !== undefined) this.#merge(agentId, cur);
        cur = one;
      }
    }
    if (cur !== undefined) this.#merge(agentId, cur);
    return rows.length;
  }

  /** Writes the rows g.from..g.to as a run, joined with the runs it touches when the span allows, and deletes the rows. */
  #merge(agentId: string, g: Run): void {
    const s = this.#c.stmt;
    let run = g;
    const prev = toRun(s(SQL.before).get(agentId, g.from));
    if (prev !== undefined && prev.to + 1n >= g.from && fits(prev, g)) run = join(prev, g);
    const next = toRun(s(SQL.at).get(agentId, run.to + 1n));
    if (next !== undefined && fits(run, next)) {
      run = join(run, next);
      s(SQL.dropRun).run(agentId, next.from);
    }
    s(SQL.put).run(agentId, run.from, run.to, run.first, run.last, run.points);
    s(SQL.dropRows).run(agentId, g.from, g.to);
  }
}

function toRun(r: Record<string, unknown> | undefined): Run | undefined {
  if (r === undefined) return undefined;
  const n = (k: string) => BigInt(r[k] as bigint);
  return { from: n("from_seq"), to: n("to_seq"), first: n("first_received_ns"), last: n("last_received_ns"), points: n("points") };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

function join(a: Run, b: Run): Run {
  return { from: min(a.from, b.from), to: max(a.to, b.to), first: min(a.first, b.first), last: max(a.last, b.last), points: a.points + b.points };
}

function fits(a: Run, b: Run): boolean {
  return max(a.last, b.last) - min(a.first, b.first) <= RUN_SPAN_NS;
}
