// Helpers of the ledger fold tests (ledger-fold*.test.ts): writing bare batches, the gaps a set of stored seqs
// must give, and the batch record as the file holds it.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { SeqGap } from "../../../collector/src/store/types.ts";

export const S = 1_000_000_000n;
export const T0 = 1_800_000_000n * S;
export const MINUTE = 60n * S;

/** Writes one batch without points per seq in one group; resolves the outcome kinds in order. */
export async function write(store: EmbeddedStore, agentId: string, seqs: readonly bigint[], receivedNs: (seq: bigint) => bigint): Promise<string[]> {
  const out = await store.writeBatches(seqs.map((seq) => ({ agentId, seq, receivedNs: receivedNs(seq), points: [] })));
  return out.map((o) => o.kind);
}

/** The missing ranges of 1..max(stored) above watermark, ascending: what gaps() must answer. */
export function modelGaps(stored: ReadonlySet<bigint>, watermark = 0n): SeqGap[] {
  const highest = [...stored].reduce((m, s) => (s > m ? s : m), 0n);
  const out: SeqGap[] = [];
  let from: bigint | undefined;
  for (let s = watermark + 1n; s <= highest; s++) {
    if (!stored.has(s)) from ??= s;
    else if (from !== undefined) (out.push({ from, to: s - 1n }), (from = undefined));
  }
  return out;
}

/** The agent's rows and runs as the file holds them (read on a connection of its own). */
export function record(path: string, agentId: string): { rows: bigint[]; runs: Array<[bigint, bigint]> } {
  const db = new DatabaseSync(path, { readOnly: true, readBigInts: true });
  try {
    const rows = db.prepare("SELECT seq FROM batches WHERE agent_id = ? ORDER BY seq").all(agentId).map((r) => r.seq as bigint);
    const runs = db
      .prepare("SELECT from_seq, to_seq FROM batch_runs WHERE agent_id = ? ORDER BY from_seq")
      .all(agentId)
      .map((r): [bigint, bigint] => [r.from_seq as bigint, r.to_seq as bigint]);
    return { rows, runs };
  } finally {
    db.close();
  }
}

/** Asserts that every seq is answered duplicate, and stores nothing. */
export async function allDuplicate(store: EmbeddedStore, agentId: string, seqs: readonly bigint[], why: string): Promise<void> {
  const kinds = await write(store, agentId, seqs, () => T0);
  const wrong = seqs.filter((_, i) => kinds[i] !== "duplicate");
  assert.deepEqual(wrong, [], `${why}: seqs not answered duplicate`);
}

/** The record's invariants: no seq both a row and inside a run, runs disjoint and ordered, the highest a row. */
export function checkRecord(path: string, agentId: string): void {
  const { rows, runs } = record(path, agentId);
  runs.forEach(([from, to], i) => {
    assert.ok(from <= to, `run ${from}..${to}`);
    const prev = runs[i - 1];
    if (prev !== undefined) assert.ok(prev[1] < from, `runs ${prev[0]}..${prev[1]} and ${from}..${to} overlap`);
  });
  for (const seq of rows) assert.ok(!runs.some(([f, t]) => seq >= f && seq <= t), `seq ${seq} is both a row and in a run`);
  const top = runs.at(-1);
  if (top !== undefined) assert.ok(rows.length > 0 && (rows.at(-1) as bigint) > top[1], "the highest seq is a row");
}
