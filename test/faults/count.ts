// Counting a scenario, independently of what the agents claim:
//   made        every seq the agent numbered, from its spool on disk (agent/src/runtime/spool-restore.ts
//               readSpoolDir): the highest seq its records and its acked mark know. An agent numbers from 1 (a
//               new id on a new store) without skipping (runtime/outbox.ts), so made = 1..highest; read after the
//               agent stopped, so nothing is numbered after the count.
//   stored      the collector's ledger (GET /api/v1/agents/<id>: highestSeq and gaps), with the local token.
//   missing     made and not stored: seqs of 1..made in a gap or above the ledger's highest.
//   duplicated  points stored twice: repeated (series, time) pairs in the raw /api/v1/series answer for the
//               agent's cpu and netdev series since the scenario began.
import { join } from "node:path";
import { readSpoolDir } from "../../agent/src/runtime/spool-restore.ts";
import { parseExact } from "../../collector/src/store/json.ts";
import { bearer } from "../helpers/api.ts";
import { waitFor } from "../helpers/procs.ts";

/** A collector's HTTP API and its local token file. */
export interface Api {
  http: string;
  tokenFile: string;
}

export interface Ledger {
  highestSeq: number;
  gaps: Array<{ from: number; to: number }>;
}

export interface Tally {
  id: string;
  made: number;
  stored: number;
  missing: number;
  /** The first missing seqs (at most 10). */
  missingSeqs: string[];
  /** Seqs the ledger holds above anything the agent numbered (a forger's, or a count gone wrong). */
  beyond: number;
  duplicated: number;
  /** The cpu and netdev points the duplicate count looked at. */
  points: number;
  /** Batches still in the spool, unacked, when the agent stopped (sent again at its next start). */
  unacked: number;
}

async function getExact<T>(api: Api, path: string): Promise<T> {
  const res = await fetch(`${api.http}${path}`, { headers: bearer(api.tokenFile), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return parseExact(text) as T;
}

/** The ledger's view of agent `id` (highest 0 and no gaps for an agent it never stored). */
export async function ledgerOf(api: Api, id: string): Promise<Ledger> {
  try {
    const r = await getExact<{ agent: { highestSeq: number | bigint }; gaps: Array<{ from: number | bigint; to: number | bigint }> }>(api, `/api/v1/agents/${encodeURIComponent(id)}`);
    return { highestSeq: Number(r.agent.highestSeq), gaps: r.gaps.map((g) => ({ from: Number(g.from), to: Number(g.to) })) };
  } catch (err) {
    if (/HTTP 404/.test(String(err))) return { highestSeq: 0, gaps: [] };
    throw err;
  }
}

/** The spool's highest seq and its unacked records (read only: the agent may still run). */
export function spoolOf(spoolRoot: string, id: string): { highest: number; unacked: number; problems: string[] } {
  const s = readSpoolDir(join(spoolRoot, id), false);
  return { highest: Number(s.highest ?? 0n), unacked: s.records.length, problems: s.problems };
}

/** Agent `id`'s points of `measurement` since fromNs, and how many of them repeat a (series, time) pair. */
export async function duplicatePoints(api: Api, measurement: string, id: string, fromNs: bigint): Promise<{ points: number; duplicated: number }> {
  const q = `/api/v1/series?measurement=${measurement}&from=${fromNs}&to=now&tag.agent_id=${encodeURIComponent(id)}&limit=1000000`;
  const r = await getExact<{ series: Array<{ tags: Record<string, string>; values: unknown[][] }> }>(api, q);
  let duplicated = 0;
  let points = 0;
  for (const s of r.series) {
    const times = s.values.map((row) => String(row[0]));
    points += times.length;
    duplicated += times.length - new Set(times).size;
  }
  return { points, duplicated };
}

/** Seqs 1..made against the ledger. */
export function compare(id: string, made: number, l: Ledger): Omit<Tally, "duplicated" | "points" | "unacked"> {
  const missingSeqs: string[] = [];
  let missing = 0;
  const note = (from: number, to: number) => {
    if (to < from) return;
    missing += to - from + 1;
    if (missingSeqs.length < 10) missingSeqs.push(from === to ? String(from) : `${from}-${to}`);
  };
  for (const g of l.gaps) note(g.from, Math.min(g.to, made));
  note(l.highestSeq + 1, made);
  return { id, made, stored: made - missing, missing, missingSeqs, beyond: Math.max(0, l.highestSeq - made) };
}

/** Counts agent `id` after it stopped: its spool, the ledger, repeated points. */
export async function tally(api: Api, spoolRoot: string, id: string, fromNs: bigint): Promise<Tally> {
  const spool = spoolOf(spoolRoot, id);
  const l = await ledgerOf(api, id);
  const [cpu, netdev] = [await duplicatePoints(api, "cpu", id, fromNs), await duplicatePoints(api, "netdev", id, fromNs)];
  return { ...compare(id, spool.highest, l), duplicated: cpu.duplicated + netdev.duplicated, points: cpu.points + netdev.points, unacked: spool.unacked };
}

/**
 * Resolves once the ledger holds every seq the agent's spool numbered so far but the newest `slack` (it still
 * streams): its highest is there and no gap starts below it.
 */
export function caughtUp(api: Api, spoolRoot: string, id: string, timeoutMs: number, slack = 3): Promise<number> {
  return waitFor(async () => {
    const made = spoolOf(spoolRoot, id).highest;
    const l = await ledgerOf(api, id);
    return made > 0 && l.highestSeq >= made - slack && l.gaps.every((g) => g.from > made - slack) ? l.highestSeq : undefined;
  }, timeoutMs, `the ledger catching up with agent ${id}'s spool`);
}

/** Batches the agents numbered that the ledger does not hold yet (its highest and its gaps), added up. */
export async function behind(api: Api, spoolRoot: string, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (const id of ids) n += compare(id, spoolOf(spoolRoot, id).highest, await ledgerOf(api, id)).missing;
  return n;
}
