// Agents' current sessions in the embedded file (the sessions table, schema.ts).
// Contract: Ledger.beginSession in ../ledger.ts (AgentSession in ../types.ts).
import type { AgentSession } from "../types.ts";
import type { Conn } from "./file.ts";

const SQL = {
  get: "SELECT epoch, session_id, base_seq FROM sessions WHERE agent_id = ?",
  put:
    "INSERT INTO sessions (agent_id, epoch, session_id, base_seq) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (agent_id) DO UPDATE SET epoch = excluded.epoch, session_id = excluded.session_id, base_seq = excluded.base_seq",
} as const;

export function readSession(c: Conn, agentId: string): AgentSession | undefined {
  const row = c.stmt(SQL.get).get(agentId);
  if (row === undefined) return undefined;
  return { epoch: BigInt(row.epoch as bigint), sessionId: String(row.session_id), baseSeq: BigInt(row.base_seq as bigint) };
}

/** One BEGIN IMMEDIATE .. COMMIT: reads the current session and writes the next unless sessionId continues it. Throws what SQLite throws (rolled back). */
export function beginSession(c: Conn, agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): AgentSession {
  c.db.exec("BEGIN IMMEDIATE");
  try {
    const cur = readSession(c, agentId);
    if (cur !== undefined && sessionId !== "" && cur.sessionId === sessionId) {
      c.db.exec("COMMIT");
      return cur;
    }
    const next = (cur?.epoch ?? 0n) + 1n;
    const s: AgentSession = { epoch: next > minEpoch ? next : minEpoch, sessionId, baseSeq };
    c.stmt(SQL.put).run(agentId, s.epoch, s.sessionId, s.baseSeq);
    c.db.exec("COMMIT");
    return s;
  } catch (err) {
    try {
      if (c.db.isOpen && c.db.isTransaction) c.db.exec("ROLLBACK");
    } catch {
      // why: SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error is what counts.
    }
    throw err;
  }
}
