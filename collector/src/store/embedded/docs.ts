// Agents and JSON records in the embedded store. Documents are JSON text with
// bigints written exactly (json.ts).
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { parseExact, stringifyExact } from "../json.ts";
import type { AgentRecord, AgentRole, StoredRecord } from "../types.ts";

const SQL = {
  upsertAgent: "INSERT INTO agents (agent_id, doc) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET doc = excluded.doc",
  listAgents: "SELECT doc FROM agents ORDER BY agent_id",
  getAgent: "SELECT doc FROM agents WHERE agent_id = ?",
  putRecord:
    "INSERT INTO records (kind, id, updated_ns, doc) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (kind, id) DO UPDATE SET updated_ns = excluded.updated_ns, doc = excluded.doc",
  getRecord: "SELECT kind, id, updated_ns, doc FROM records WHERE kind = ? AND id = ?",
  listRecords: "SELECT kind, id, updated_ns, doc FROM records WHERE kind = ? ORDER BY updated_ns DESC, id LIMIT ?",
} as const;

const ROLES: ReadonlySet<string> = new Set<AgentRole>(["host", "guest", "unspecified"]);

export class DocStore {
  readonly #stmts: Record<keyof typeof SQL, StatementSync>;
  readonly #clock: () => bigint;

  constructor(db: DatabaseSync, clock: () => bigint) {
    this.#clock = clock;
    this.#stmts = {
      upsertAgent: db.prepare(SQL.upsertAgent),
      listAgents: db.prepare(SQL.listAgents),
      getAgent: db.prepare(SQL.getAgent),
      putRecord: db.prepare(SQL.putRecord),
      getRecord: db.prepare(SQL.getRecord),
      listRecords: db.prepare(SQL.listRecords),
    };
  }

  upsertAgent(a: AgentRecord): void {
    this.#stmts.upsertAgent.run(a.agentId, stringifyExact(a));
  }

  listAgents(): AgentRecord[] {
    return this.#stmts.listAgents.all().map((r) => decodeAgent(String(r.doc)));
  }

  getAgent(agentId: string): AgentRecord | undefined {
    const row = this.#stmts.getAgent.get(agentId);
    return row === undefined ? undefined : decodeAgent(String(row.doc));
  }

  /** Throws TypeError when doc is undefined or not JSON-serialisable (a cycle). */
  putRecord(kind: string, id: string, doc: unknown): void {
    if (doc === undefined) throw new TypeError(`record ${kind}/${id}: document is undefined`);
    this.#stmts.putRecord.run(kind, id, this.#clock(), stringifyExact(doc));
  }

  getRecord(kind: string, id: string): StoredRecord | undefined {
    const row = this.#stmts.getRecord.get(kind, id);
    return row === undefined ? undefined : decodeRecord(row);
  }

  listRecords(kind: string, limit: number): StoredRecord[] {
    return this.#stmts.listRecords.all(kind, Math.max(0, Math.floor(limit))).map(decodeRecord);
  }
}

function decodeRecord(row: Record<string, unknown>): StoredRecord {
  return {
    kind: String(row.kind),
    id: String(row.id),
    updatedNs: row.updated_ns as bigint,
    doc: parseExact(String(row.doc)),
  };
}

/** Reads an agent document back, restoring bigints that JSON shortened to safe numbers. */
export function decodeAgent(text: string): AgentRecord {
  const d = parseExact(text) as Record<string, unknown>;
  const role = String(d.role);
  return {
    agentId: String(d.agentId),
    role: ROLES.has(role) ? (role as AgentRole) : "unspecified",
    hostname: String(d.hostname ?? ""),
    kernel: String(d.kernel ?? ""),
    // optional (agents older than these fields): kept absent so a record round-trips unchanged
    ...(d.cpuModel !== undefined ? { cpuModel: String(d.cpuModel) } : {}),
    ...(typeof d.toolVersions === "object" && d.toolVersions !== null ? { toolVersions: d.toolVersions as Record<string, string> } : {}),
    machineUuid: String(d.machineUuid ?? ""),
    netns: String(d.netns ?? ""),
    capabilities: Array.isArray(d.capabilities) ? (d.capabilities as AgentRecord["capabilities"]) : [],
    agentVersion: String(d.agentVersion ?? ""),
    pid: Number(d.pid ?? 0),
    calibration: d.calibration ?? null,
    firstSeenNs: toBigInt(d.firstSeenNs),
    lastSeenNs: toBigInt(d.lastSeenNs),
    connected: d.connected === true,
    highestSeq: toBigInt(d.highestSeq),
  };
}

function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return 0n;
}
