// The InfluxDB store: points go to InfluxDB (or a server speaking its write
// API); everything else the Store contract needs — the (agent_id, seq) table
// that makes writes idempotent, gaps, agents, records, and a copy of the points
// that answers the HTTP API's queries — stays in a local store (the embedded
// SQLite store) passed in.
//
// Write order per group commit: the points of batches not yet stored go to
// InfluxDB first; only the batches InfluxDB took whole are then written to the
// local store, whose commit is the ack. A crash between the two leaves the
// batch unacked; the agent resends identical points (same series, same
// timestamp), which InfluxDB overwrites.
//
// Outcomes: a point line protocol cannot carry exactly -> "rejected" before
// anything is sent. InfluxDB refusing a batch (HTTP 400, including "partial
// write") -> "rejected" with the server's reason (the points it did accept stay
// there; the seq stays missing, a gap once later batches land). 429, 5xx, timeouts, network errors ->
// "retryable" (after Retry-After when sent); 401/403/404 -> "retryable" with a
// long wait, as the operator has to act.
import type { Logger } from "@eastwest/common";
import { toLine, type LineOptions } from "./line-protocol.ts";
import type { InfluxTransport } from "./transport.ts";
import { sendJobs, type Job, type SendPolicy } from "./write.ts";
import type {
  AgentRecord,
  LatestQuery,
  LatestRow,
  SeqGap,
  Series,
  SeriesQuery,
  Store,
  StoredBatch,
  PruneResult,
  StoredRecord,
  WriteOutcome,
} from "../types.ts";

export interface InfluxStoreOptions {
  /** Where points go, one request per send; wrap it in a RetryingTransport for retries. Closed by close(). */
  transport: InfluxTransport;
  /** Batches, agents, records and the points for reads. Opened and closed by this store. */
  local: Store;
  line: LineOptions;
  policy: SendPolicy;
  logger?: Logger;
}

type Encoded = { ok: true; lines: string[] } | { ok: false; reason: string };

/** A batch's lines, or why line protocol cannot carry it. */
export function encodeBatch(b: StoredBatch, o: LineOptions): Encoded {
  if (typeof b.agentId !== "string" || b.agentId === "") return { ok: false, reason: "agent_id is empty" };
  if (typeof b.seq !== "bigint" || b.seq < 1n) return { ok: false, reason: `seq ${String(b.seq)} is not >= 1` };
  const lines: string[] = new Array(b.points.length);
  for (let i = 0; i < b.points.length; i++) {
    const l = toLine(b.points[i] as StoredBatch["points"][number], o);
    if (!l.ok) return { ok: false, reason: `point ${i} (${String(b.points[i]?.measurement)}): ${l.reason}` };
    lines[i] = l.line;
  }
  return { ok: true, lines };
}

export class InfluxStore implements Store {
  readonly #o: InfluxStoreOptions;
  #open = false;

  constructor(o: InfluxStoreOptions) {
    this.#o = o;
  }

  async open(): Promise<void> {
    await this.#o.local.open();
    this.#open = true;
  }

  async writeBatch(b: StoredBatch): Promise<WriteOutcome> {
    return (await this.writeBatches([b]))[0] as WriteOutcome;
  }

  async writeBatches(bs: readonly StoredBatch[]): Promise<WriteOutcome[]> {
    if (!this.#open) return bs.map(() => ({ kind: "retryable", afterMs: 1_000, reason: "store is not open" }));
    const out: Array<WriteOutcome | undefined> = new Array(bs.length);
    const { jobs, copies } = this.#plan(bs, out);
    let unstored: Job[];
    try {
      unstored = await this.#unstored(bs, jobs);
    } catch (err) {
      const reason = `local store: ${err instanceof Error ? err.message : String(err)}`;
      return bs.map((_, i) => out[i] ?? { kind: "retryable", afterMs: 1_000, reason });
    }
    for (const [i, outcome] of await sendJobs(this.#o.transport, unstored, this.#o.policy)) {
      out[i] = outcome;
      if (outcome.kind === "rejected") this.#o.logger?.warn({ agentId: bs[i]?.agentId, seq: String(bs[i]?.seq), reason: outcome.reason }, "InfluxDB refused batch");
    }
    // why: a second copy of a batch in the group shares the first one's fate in InfluxDB.
    for (const [i, first] of copies) out[i] = out[first];
    await this.#writeLocal(bs, out);
    return out as WriteOutcome[];
  }

  /** Encodes each batch once: refusals go to out, first copies become jobs, later copies point at their first. */
  #plan(bs: readonly StoredBatch[], out: Array<WriteOutcome | undefined>): { jobs: Job[]; copies: Array<[number, number]> } {
    const jobs: Job[] = [];
    const copies: Array<[number, number]> = [];
    const firstOf = new Map<string, number>();
    bs.forEach((b, i) => {
      const e = encodeBatch(b, this.#o.line);
      if (!e.ok) {
        out[i] = { kind: "rejected", reason: e.reason };
        return;
      }
      const key = `${b.agentId}\u0000${b.seq}`;
      const first = firstOf.get(key);
      if (first !== undefined) {
        copies.push([i, first]);
        return;
      }
      firstOf.set(key, i);
      jobs.push({ index: i, lines: e.lines });
    });
    return { jobs, copies };
  }

  /** The jobs whose (agent_id, seq) the local store does not hold yet: seq above the agent's highest, or inside a gap. */
  async #unstored(bs: readonly StoredBatch[], jobs: readonly Job[]): Promise<Job[]> {
    const highest = new Map<string, bigint>();
    const gaps = new Map<string, SeqGap[]>();
    const out: Job[] = [];
    for (const job of jobs) {
      const { agentId, seq } = bs[job.index] as StoredBatch;
      let h = highest.get(agentId);
      if (h === undefined) highest.set(agentId, (h = await this.#o.local.highestSeq(agentId)));
      if (seq > h) {
        out.push(job);
        continue;
      }
      let g = gaps.get(agentId);
      if (g === undefined) gaps.set(agentId, (g = await this.#o.local.gaps(agentId)));
      if (g.some((r) => seq >= r.from && seq <= r.to)) out.push(job);
    }
    return out;
  }

  /** Writes every batch without an outcome yet (written to InfluxDB, or already stored) to the local store. */
  async #writeLocal(bs: readonly StoredBatch[], out: Array<WriteOutcome | undefined>): Promise<void> {
    const idx: number[] = [];
    for (let i = 0; i < bs.length; i++) if (out[i] === undefined) idx.push(i);
    if (idx.length === 0) return;
    const local = await this.#o.local.writeBatches(idx.map((i) => bs[i] as StoredBatch));
    idx.forEach((i, k) => (out[i] = local[k]));
  }

  highestSeq(agentId: string): Promise<bigint> {
    return this.#o.local.highestSeq(agentId);
  }

  gaps(agentId: string): Promise<SeqGap[]> {
    return this.#o.local.gaps(agentId);
  }

  /** The local ledger and its copy of the points; InfluxDB keeps its own retention (bucket or policy). */
  prune(beforeNs: bigint, signal?: AbortSignal): Promise<PruneResult> {
    return this.#o.local.prune(beforeNs, signal);
  }

  /** Answered by the local store, which holds every point InfluxDB was sent and took. */
  query(q: SeriesQuery): Promise<Series[]> {
    return this.#o.local.query(q);
  }

  latest(q: LatestQuery): Promise<LatestRow[]> {
    return this.#o.local.latest(q);
  }

  upsertAgent(a: AgentRecord): Promise<void> {
    return this.#o.local.upsertAgent(a);
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.#o.local.listAgents();
  }

  getAgent(agentId: string): Promise<AgentRecord | undefined> {
    return this.#o.local.getAgent(agentId);
  }

  putRecord(kind: string, id: string, doc: unknown): Promise<void> {
    return this.#o.local.putRecord(kind, id, doc);
  }

  getRecord(kind: string, id: string): Promise<StoredRecord | undefined> {
    return this.#o.local.getRecord(kind, id);
  }

  listRecords(kind: string, limit: number): Promise<StoredRecord[]> {
    return this.#o.local.listRecords(kind, limit);
  }

  /** Safe twice and without open: ends retries and requests, then closes the local store. */
  async close(): Promise<void> {
    this.#open = false;
    await this.#o.transport.close();
    await this.#o.local.close();
  }
}
