// One group commit's points to InfluxDB: whole batches packed into requests of
// at most batchSize lines (a longer batch gets requests of its own), sent in
// order. A refused request holding several batches is sent again batch by
// batch (InfluxDB overwrites identical points, so resending is harmless) to
// find the batch the server refuses; once the server is unavailable the rest
// of the group is not sent.
import type { InfluxTransport, SendResult } from "./transport.ts";
import type { WriteOutcome } from "../types.ts";

/** The lines of one batch; index is its place in the group. */
export interface Job {
  index: number;
  lines: readonly string[];
}

export interface Request {
  jobs: Job[];
  lines: string[];
}

export interface SendPolicy {
  batchSize: number;
  /** afterMs when the server gave no Retry-After. */
  retryDelayMs: number;
  /** afterMs when the operator has to act (credentials, database, URL). */
  misconfiguredDelayMs: number;
}

/** Requests of at most max lines, in job order; a job longer than max is split over requests holding it alone. */
export function pack(jobs: readonly Job[], max: number): Request[] {
  const out: Request[] = [];
  let cur: Request = { jobs: [], lines: [] };
  const flush = (): void => {
    if (cur.jobs.length > 0) out.push(cur);
    cur = { jobs: [], lines: [] };
  };
  for (const job of jobs) {
    if (job.lines.length > max) {
      flush();
      for (let i = 0; i < job.lines.length; i += max) out.push({ jobs: [job], lines: job.lines.slice(i, i + max) });
      continue;
    }
    if (cur.lines.length + job.lines.length > max) flush();
    cur.jobs.push(job);
    for (const l of job.lines) cur.lines.push(l);
  }
  flush();
  return out;
}

/** The outcome a failed send gives each batch in it. */
export function failure(r: Exclude<SendResult, { kind: "ok" }>, p: SendPolicy): WriteOutcome {
  switch (r.kind) {
    case "refused":
      return { kind: "rejected", reason: `InfluxDB ${r.reason}; points it accepted from this batch stay written` };
    case "retryable":
      return { kind: "retryable", afterMs: r.retryAfterMs ?? p.retryDelayMs, reason: `InfluxDB: ${r.reason}` };
    case "misconfigured":
      return { kind: "retryable", afterMs: p.misconfiguredDelayMs, reason: `InfluxDB ${r.reason}` };
  }
}

/** Sends every job's lines. Resolves with the outcome of each job that was not fully written; absent: written. Never throws. */
export async function sendJobs(t: InfluxTransport, jobs: readonly Job[], p: SendPolicy): Promise<Map<number, WriteOutcome>> {
  const failed = new Map<number, WriteOutcome>();
  let unavailable: WriteOutcome | undefined;
  for (const req of pack(jobs, p.batchSize)) {
    const pending = req.jobs.filter((j) => !failed.has(j.index));
    if (pending.length === 0) continue;
    if (unavailable !== undefined) {
      for (const j of pending) failed.set(j.index, unavailable);
      continue;
    }
    const r = await t.send(req.lines);
    if (r.kind === "ok") continue;
    if (r.kind === "refused" && req.jobs.length > 1) {
      unavailable = await isolate(t, req.jobs, p, failed);
      continue;
    }
    const outcome = failure(r, p);
    for (const j of pending) failed.set(j.index, outcome);
    if (r.kind !== "refused") unavailable = outcome;
  }
  return failed;
}

/** Sends each job alone; records failures; returns the outcome that stopped it when the server became unavailable. */
async function isolate(t: InfluxTransport, jobs: readonly Job[], p: SendPolicy, failed: Map<number, WriteOutcome>): Promise<WriteOutcome | undefined> {
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as Job;
    const r = await t.send(job.lines);
    if (r.kind === "ok") continue;
    const outcome = failure(r, p);
    failed.set(job.index, outcome);
    if (r.kind !== "refused") {
      for (const rest of jobs.slice(i + 1)) failed.set(rest.index, outcome);
      return outcome;
    }
  }
  return undefined;
}
