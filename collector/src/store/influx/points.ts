// The InfluxDB point store: points go to InfluxDB (or a server speaking its
// write API) and, as a copy that answers the HTTP API's reads, to a local point
// store (the embedded one, in the ledger's file) passed in. Contract:
// point-store.ts; the ledger (agent_id, seq record, gaps, agents, records) is
// not this store's.
//
// Write order per group: prepare() sends the points of batches the ledger does
// not hold yet to InfluxDB first; only the batches InfluxDB took whole are
// staged, and their local copy is written inside the ledger's commit, which is
// the ack. A crash between the two leaves the batch unacked; the agent resends
// identical points (same series, same timestamp), which InfluxDB overwrites.
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
import type { PointsPruned, PointStore, Prepared, SeqIndex } from "../point-store.ts";
import type { Compacted, LatestQuery, LatestRow, SeqGap, Series, SeriesQuery, StoredBatch } from "../types.ts";

export interface InfluxPointsOptions<S> {
  /** Where points go, one request per send; wrap it in a RetryingTransport for retries. Closed by close(). */
  transport: InfluxTransport;
  /** The copy of the points for reads, staged in the ledger's commit. Opened and closed by this store. */
  local: PointStore<S>;
  line: LineOptions;
  policy: SendPolicy;
  logger?: Logger;
}

type Encoded = { ok: true; lines: string[] } | { ok: false; reason: string };

/** A batch's lines, or why line protocol cannot carry a point (agent_id and seq are the ledger's to check). */
export function encodeBatch(b: StoredBatch, o: LineOptions): Encoded {
  const lines: string[] = new Array(b.points.length);
  for (let i = 0; i < b.points.length; i++) {
    const l = toLine(b.points[i] as StoredBatch["points"][number], o);
    if (!l.ok) return { ok: false, reason: `point ${i} (${String(b.points[i]?.measurement)}): ${l.reason}` };
    lines[i] = l.line;
  }
  return { ok: true, lines };
}

export class InfluxPoints<S> implements PointStore<S> {
  readonly #o: InfluxPointsOptions<S>;

  constructor(o: InfluxPointsOptions<S>) {
    this.#o = o;
  }

  async open(): Promise<void> {
    await this.#o.local.open();
  }

  /** Sends what the ledger does not hold to InfluxDB; stages the local copy of what InfluxDB took and of what is stored already (the ledger calls those duplicates). */
  async prepare(bs: readonly StoredBatch[], known: SeqIndex): Promise<Array<Prepared<S>>> {
    const out: Array<Prepared<S> | undefined> = new Array(bs.length);
    const { jobs, copies } = this.#plan(bs, out);
    let unstored: Job[];
    try {
      unstored = await unstoredJobs(bs, jobs, known);
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
    const idx: number[] = [];
    for (let i = 0; i < bs.length; i++) if (out[i] === undefined) idx.push(i);
    if (idx.length > 0) {
      const local = await this.#o.local.prepare(
        idx.map((i) => bs[i] as StoredBatch),
        known,
      );
      idx.forEach((i, k) => (out[i] = local[k]));
    }
    return out as Array<Prepared<S>>;
  }

  stage(data: S): void {
    this.#o.local.stage(data);
  }

  settle(committed: boolean): void {
    this.#o.local.settle(committed);
  }

  /** Encodes each batch once: refusals go to out, first copies become jobs, later copies point at their first. */
  #plan(bs: readonly StoredBatch[], out: Array<Prepared<S> | undefined>): { jobs: Job[]; copies: Array<[number, number]> } {
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

  /** The local copy; InfluxDB keeps its own retention (bucket or policy). */
  prune(beforeNs: bigint, signal?: AbortSignal): Promise<PointsPruned> {
    return this.#o.local.prune(beforeNs, signal);
  }

  /** The local copy is packed like the embedded store's own points. */
  async compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    return (await this.#o.local.compact?.(cutoffNs, floor, signal)) ?? { points: 0, chunks: 0 };
  }

  async pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    return (await this.#o.local.pruneRollups?.(beforeNs, signal)) ?? 0;
  }

  /** Answered by the local store, which holds every point InfluxDB was sent and took. */
  query(q: SeriesQuery): Promise<Series[]> {
    return this.#o.local.query(q);
  }

  latest(q: LatestQuery): Promise<LatestRow[]> {
    return this.#o.local.latest(q);
  }

  /** Safe twice and without open: ends retries and requests, then closes the local copy. */
  async close(): Promise<void> {
    try {
      await this.#o.transport.close();
    } finally {
      await this.#o.local.close();
    }
  }
}

/** The jobs whose (agent_id, seq) the ledger does not hold yet: seq above the agent's highest, or inside a gap. */
async function unstoredJobs(bs: readonly StoredBatch[], jobs: readonly Job[], known: SeqIndex): Promise<Job[]> {
  const highest = new Map<string, bigint>();
  const gaps = new Map<string, SeqGap[]>();
  const out: Job[] = [];
  for (const job of jobs) {
    const { agentId, seq } = bs[job.index] as StoredBatch;
    let h = highest.get(agentId);
    if (h === undefined) highest.set(agentId, (h = await known.highestSeq(agentId)));
    if (seq > h) {
      out.push(job);
      continue;
    }
    let g = gaps.get(agentId);
    if (g === undefined) gaps.set(agentId, (g = await known.gaps(agentId)));
    if (g.some((r) => seq >= r.from && seq <= r.to)) out.push(job);
  }
  return out;
}
