// The embedded store's file layout (SQLite, one file plus its WAL).
//
// batches  one row per stored (agent_id, seq): the idempotency and gap record;
//          indexed by received_ns for retention and the fold. Rows received over
//          10 min before the compaction pass's cut-off, each agent's highest
//          excepted, are folded into batch_runs (fold.ts).
// batch_runs  per agent, runs of consecutive stored seqs from_seq..to_seq (no gap
//          inside one; two may touch), with the first and last received_ns of their
//          batches and their points: the same record as the rows they replace, one row
//          per run instead of one per batch. Disjoint from the batches rows.
// measurements  one row per measurement name; points refer to it by id.
// series   one row per (measurement, canonical tag set); ids are stable.
// fieldsets  one row per list of field names (JSON array), in point order.
// points   the head: one row per recent point, its field set and a JSON array of values
//          (type-preserving, codec.ts); indexed by (measurement_id, time_ns, series_id).
//          Row ids are the point log's positions (log.ts).
// chunks   the compacted past: per series and field set, the points of one aligned
//          window (compact.ts) packed by chunk.ts; indexed by (measurement_id, end_ns).
// rollups  per chunk, its points' one-minute aggregates (rollup.ts), packed the same way;
//          kept for store.rollupRetentionDays; indexed by (measurement_id, end_ns).
// latest   the newest point per series, kept in step with points.
// pruned   per agent, the highest seq whose batch record (row or run) retention removed: seqs up
//          to it count as stored (a resend is a duplicate, never a gap).
// agents   the registry's view of each agent (JSON document).
// sessions per agent, its current session: epoch (increasing), the agent's
//          session id and the highest seq its Welcome announced (see ../ledger.ts).
// records  JSON documents by (kind, id): runs, calibrations, campaigns.
import type { DatabaseSync } from "node:sqlite";
import { decodeNames, encodeNameList } from "../codec.ts";
import { StoreError } from "../types.ts";

/**
 * Bumped on every layout change; stored in PRAGMA user_version. Older layouts
 * are upgraded on open (1 -> 2 adds the pruned table and batches_by_received;
 * 2 -> 3 adds the sessions table; 3 -> 4 adds the chunks and rollups tables, and the points
 * already stored are compacted into it by the collector's compaction loop; 4 -> 5 adds the batch_runs table, and
 * the batch rows already stored are folded into it by the same loop; 5 -> 6 writes the rollups' field sets by
 * their fields (codec.ts encodeNameList), rewriting those already stored);
 * a newer one is refused.
 */
export const LAYOUT_VERSION = 6;

const DDL = `
CREATE TABLE IF NOT EXISTS batches (
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_by_received ON batches (received_ns);
CREATE TABLE IF NOT EXISTS batch_runs (
  agent_id TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  first_received_ns INTEGER NOT NULL,
  last_received_ns INTEGER NOT NULL,
  points INTEGER NOT NULL,
  PRIMARY KEY (agent_id, from_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS measurements (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tags TEXT NOT NULL,
  UNIQUE (measurement, tag_key)
);
CREATE TABLE IF NOT EXISTS fieldsets (
  id INTEGER PRIMARY KEY,
  names TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS points (
  measurement_id INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  fieldset_id INTEGER NOT NULL,
  vals TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS points_by_time ON points (measurement_id, time_ns, series_id);
CREATE TABLE IF NOT EXISTS chunks (
  measurement_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  fieldset_id INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  n INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_time ON chunks (measurement_id, end_ns);
CREATE TABLE IF NOT EXISTS rollups (
  measurement_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  fieldset_id INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rollups_by_time ON rollups (measurement_id, end_ns);
CREATE TABLE IF NOT EXISTS latest (
  series_id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  fieldset_id INTEGER NOT NULL,
  vals TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pruned (
  agent_id TEXT PRIMARY KEY,
  through_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agents (
  agent_id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  agent_id TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  base_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  updated_ns INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_time ON records (kind, updated_ns);
`;

/**
 * Durability: WAL with synchronous=FULL fsyncs the WAL on every commit, so a
 * committed batch survives kill -9 and power loss.
 */
const PRAGMAS = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = OFF;
PRAGMA temp_store = MEMORY;
PRAGMA cache_size = -32768;
`;

/** Sets pragmas and creates or checks the layout. Throws StoreError on a newer layout. */
export function prepareFile(db: DatabaseSync, path: string): void {
  db.exec(PRAGMAS);
  const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode?: unknown } | undefined;
  if (mode?.journal_mode !== "wal") {
    throw new StoreError(`${path}: cannot enable WAL (journal_mode is ${String(mode?.journal_mode)})`, false);
  }
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number | bigint };
  const version = Number(row.user_version);
  if (version > LAYOUT_VERSION) {
    throw new StoreError(
      `${path}: written by a newer eastwest (layout ${version}, this build knows ${LAYOUT_VERSION})`,
      false,
    );
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(DDL);
    if (version > 0 && version < 6) compactRollupNames(db);
    db.exec(`PRAGMA user_version = ${LAYOUT_VERSION}`);
    db.exec("COMMIT");
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/** Layout 5 -> 6: each field set a rollup refers to, written by its fields (the same names, the same id). */
function compactRollupNames(db: DatabaseSync): void {
  const update = db.prepare("UPDATE fieldsets SET names = ? WHERE id = ?");
  const rows = db.prepare("SELECT id, names FROM fieldsets WHERE id IN (SELECT DISTINCT fieldset_id FROM rollups)").all();
  for (const row of rows) {
    const text = encodeNameList(decodeNames(String(row["names"])));
    if (text !== row["names"]) update.run(text, row["id"] as number | bigint);
  }
}
