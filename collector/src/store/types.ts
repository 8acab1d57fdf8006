// The data the collector stores, and Store: what the rest of the collector
// uses, implemented once by Storage (storage.ts), which pairs the Ledger
// (ledger.ts: batches, gaps, agents, records; always the embedded SQLite file)
// with a PointStore (point-store.ts: embedded/, influx/, chosen in index.ts).
//
// Time is Unix epoch nanoseconds (bigint) everywhere. Field values keep their
// type end to end: number = float, bigint = integer (exact to 64 bits),
// boolean, string.
import { EastwestError, type FieldValue, type Sample } from "@eastwest/common";
import type { PointLog } from "./point-log.ts";

/** One agent batch, as accepted by ingest (already validated against the schema). */
export interface StoredBatch {
  agentId: string;
  /** >= 1, strictly increasing per agent on the wire; a resend repeats a seq. */
  seq: bigint;
  points: Sample[];
  /** When the collector received the batch. */
  receivedNs: bigint;
  /**
   * Optional per-point identity keys from the decoder, which a store may use to
   * cache what it derives from a point's tags or field names. Points with equal
   * series keys have equal measurements and tag sets; points with equal shape
   * keys have equal measurements and field names in the same order.
   */
  keys?: { series: readonly string[]; shapes: readonly string[] };
}

/**
 * The result of one write. "ok" and "duplicate" are both acks: the agent may
 * drop the batch. "retryable" is about the store's state (busy, disk full, not
 * open): resend after afterMs. "rejected" is about the batch itself (a value no
 * store can hold): resending never helps.
 */
export type WriteOutcome =
  | { kind: "ok"; stored: number }
  | { kind: "duplicate" }
  | { kind: "retryable"; afterMs: number; reason: string }
  | { kind: "rejected"; reason: string };

/** Per bucket: mean, last, min or max of each field; increase: a counter's last minus its last in the bucket before. */
export type Aggregate = "mean" | "last" | "min" | "max" | "increase";

/** Points of one measurement over a closed time range [fromNs, toNs]. */
export interface SeriesQuery {
  measurement: string;
  fromNs: bigint;
  toNs: bigint;
  /** Fields to return, in this column order. Absent: every field seen, sorted by name. */
  fields?: string[];
  /** Tag equality filters; every one must match. */
  tags?: Record<string, string>;
  /**
   * Bucket width. Buckets are aligned to multiples of everyNs since the epoch and
   * a row's time_ns is its bucket's start. Absent: raw points.
   */
  everyNs?: bigint;
  /** With everyNs: "mean" (floats; non-numeric fields give null) or "last" (default "mean"). */
  aggregate?: Aggregate;
  /** Maximum rows per series, earliest first. Absent: no limit. */
  limit?: number;
}

/**
 * One series: a measurement and one tag set. columns[0] is "time_ns"; each
 * values row holds the time then one value per field column (null: the point
 * or bucket has no such field). Rows ascend in time.
 */
export interface Series {
  measurement: string;
  tags: Record<string, string>;
  columns: string[];
  values: Array<Array<bigint | FieldValue | null>>;
  /** True when limit cut rows off. */
  truncated: boolean;
}

// The columnar answer (columns.ts has what works on it): a 24 h series at 1 Hz with 20 fields is 1.8 M values, which
// as rows are a BigInt or a boxed number each.

/**
 * A chunk's column decoded without an object per value (embedded/chunk-read.ts): floats, or integers that are all
 * within +-(2^53-1), so that each is exact as a float.
 */
export interface TypedColumn {
  readonly kind: "int" | "float";
  readonly values: Float64Array;
}

/**
 * One field's values, a row each. "int" and "float": values[i] is row i's value (an integer column's are all
 * integers within +-(2^53-1)), unless nulls[i] is 1 (the row has no value). "any": the values as the row answer
 * has them (bigint, number, string, boolean, null).
 */
export type Column =
  | { kind: "int" | "float"; values: Float64Array; nulls?: Uint8Array }
  | { kind: "any"; values: Array<FieldValue | null> };

/** One series as columns: times[i] and columns[k]'s row i are row i; fields[k] names columns[k]. */
export interface ColumnSeries {
  measurement: string;
  tags: Record<string, string>;
  fields: string[];
  times: bigint[];
  columns: Column[];
  /** True when the query's limit cut rows off. */
  truncated: boolean;
}

/** Newest point per (measurement, tag set); both filters optional. */
export interface LatestQuery {
  measurement?: string;
  tags?: Record<string, string>;
}

/** The newest point of one series (latest time_ns; on a tie, the later write). */
export interface LatestRow {
  measurement: string;
  tags: Record<string, string>;
  timeNs: bigint;
  fields: Record<string, FieldValue>;
}

export type AgentRole = "host" | "guest" | "unspecified";

export interface AgentCapability {
  sampler: string;
  available: boolean;
  /** "unavailable: <why>" when not available, else "". */
  reason: string;
  intervalMs: number;
}

export interface AgentRecord {
  agentId: string;
  role: AgentRole;
  hostname: string;
  kernel: string;
  /** /proc/cpuinfo model name; "" when unknown (older agents). */
  cpuModel?: string;
  /** First line of each tool's --version (iperf3, qemu); "" when missing. */
  toolVersions?: Record<string, string>;
  machineUuid: string;
  netns: string;
  capabilities: AgentCapability[];
  agentVersion: string;
  pid: number;
  /** Opaque JSON document (the agent's cost-model constants); may hold bigints. null: none. */
  calibration: unknown;
  firstSeenNs: bigint;
  lastSeenNs: bigint;
  connected: boolean;
  /** Highest seq stored for this agent; 0n when none. */
  highestSeq: bigint;
}

/** An agent's current session, as its Welcome announced it. */
export interface AgentSession {
  /** >= 1; a new session of the agent always gets a larger one. */
  epoch: bigint;
  /** The agent's own id of the session; "": it gave none. */
  sessionId: string;
  /** The highest seq the session's Welcome announced: the agent numbers its new batches above it. */
  baseSeq: bigint;
}

/** A JSON document (a run, a calibration, a campaign) under (kind, id). */
export interface StoredRecord {
  kind: string;
  id: string;
  /** When putRecord last wrote it. */
  updatedNs: bigint;
  /** Integers beyond 2^53 come back as bigint. */
  doc: unknown;
}

export interface SeqGap {
  /** First missing seq, inclusive. */
  from: bigint;
  /** Last missing seq, inclusive. */
  to: bigint;
}

/**
 * The ledger and the point store as one object (storage.ts).
 * Lifecycle: open() once before use; close() is safe twice and safe without open.
 * writeBatch never throws for I/O: every failure is a WriteOutcome, and "ok"
 * resolves only after the batch is durable (survives kill -9 and power loss).
 * It is idempotent on (agentId, seq): a resend resolves "duplicate" and writes
 * nothing. Every other method rejects with StoreError on failure.
 */
/** What the ledger keeps beside seqs: agents' sessions, the agent registry and JSON records (see Ledger, ledger.ts). */
export interface LedgerRecords {
  /**
   * Begins agentId's next session, in one durable commit: epoch max(current epoch + 1, minEpoch), with sessionId and
   * baseSeq. When sessionId is not "" and equals the current session's, that session goes on unchanged instead.
   * Resolves the agent's current session; rejects with StoreError when it cannot write.
   */
  beginSession(agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): Promise<AgentSession>;
  /** The agent's current session; undefined: the agent never began one. */
  session(agentId: string): Promise<AgentSession | undefined>;
  upsertAgent(a: AgentRecord): Promise<void>;
  /** Ordered by agentId. */
  listAgents(): Promise<AgentRecord[]>;
  getAgent(agentId: string): Promise<AgentRecord | undefined>;
  /** Replaces the document at (kind, id). */
  putRecord(kind: string, id: string, doc: unknown): Promise<void>;
  getRecord(kind: string, id: string): Promise<StoredRecord | undefined>;
  /** Newest first (by updatedNs), at most limit. */
  listRecords(kind: string, limit: number): Promise<StoredRecord[]>;
}

export interface Store extends LedgerRecords {
  /** Every stored point in commit order, for the sinks (point-log.ts); undefined: this store keeps none. */
  readonly log?: PointLog | undefined;
  open(): Promise<void>;
  writeBatch(b: StoredBatch): Promise<WriteOutcome>;
  /** Several batches with one durable commit where the store can (group commit); outcomes in order. Never throws for I/O. */
  writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]>;
  /** 0n when the agent has no stored batch. */
  highestSeq(agentId: string): Promise<bigint>;
  /** Missing seq ranges in 1..highestSeq, ascending (seqs removed by retention count as stored). */
  gaps(agentId: string): Promise<SeqGap[]>;
  /** Retention: removes what is older than beforeNs (points, and the batch record but each agent's highest). */
  prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult>;
  /** Packs points older than cutoffNs, and read by every sink (log positions at or below floor), into compact chunks. */
  compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted>;
  /** Retention of the one-minute rollups (store.rollupRetentionDays): removes those older than beforeNs; resolves how many. */
  pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number>;
  query(q: SeriesQuery): Promise<Series[]>;
  /** query()'s answer as columns (columns.ts): what the HTTP API serves, without an object per value. */
  queryColumns(q: SeriesQuery): Promise<ColumnSeries[]>;
  latest(q: LatestQuery): Promise<LatestRow[]>;
  close(): Promise<void>;
}

/** What a compaction packed. */
export interface Compacted {
  /** Points moved from one row each into chunks. */
  points: number;
  chunks: number;
  /** The longest a slice's commit held the file's write lock (ms), which ingest's commits wait for; absent: none. */
  commitMaxMs?: number;
}

/** What a prune removed. */
export interface PruneResult {
  points: number;
  /** Latest-point rows of series silent since the cut-off. */
  latest: number;
  /** Batch rows (idempotency and gap record). */
  batches: number;
}

/** A store operation failed (I/O, lock, corruption, not open). `retryable`: worth trying again later. */
export class StoreError extends EastwestError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.retryable = retryable;
  }
}
