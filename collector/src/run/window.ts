// A run's traffic on the time axis as run_window points (common/src/schema/runs.ts), for the dashboards' region
// annotations: a live `running` marker (true at the traffic's start and every minute while it lasts, false at its
// end) that a Prometheus scrape of /metrics sees while the run runs, and, with the run's results, a point at the
// start of the correlated window carrying its end (end_timestamp_ms) for InfluxQL's timeEnd column.
import { nowNs, type Logger, type Sample } from "@eastwest/common";
import type { Store } from "../store/types.ts";
import type { Window } from "./types.ts";

/** The writer id under which the collector stores run points (its own seq space). */
export const RUNS_WRITER = "eastwest-runs";

/** Rewrites running=true this often: under the exposition's default staleness (5 min), so a long run stays exposed. */
const REFRESH_MS = 60_000;

export interface RunIds {
  runId: string;
  serverAgentId: string;
  clientAgentId: string;
}

function tags(r: RunIds): Record<string, string> {
  return { run_id: r.runId, server_agent_id: r.serverAgentId, client_agent_id: r.clientAgentId };
}

/** The live marker's point. */
export function runningPoint(r: RunIds, running: boolean, timeNs: bigint): Sample {
  return { measurement: "run_window", tags: tags(r), fields: { running }, timeNs };
}

/** The window's point: at its start, with its end in Unix ms. */
export function windowPoint(r: RunIds, w: Window): Sample {
  return { measurement: "run_window", tags: tags(r), fields: { end_timestamp_ms: Number(w.toNs / 1_000_000n) }, timeNs: w.fromNs };
}

/** Stores points under RUNS_WRITER's next seq; an outcome other than ok is logged, never thrown (a marker is not the run). */
export async function writeRunPoints(store: Store, points: Sample[], logger: Logger, what: string): Promise<void> {
  try {
    const seq = (await store.highestSeq(RUNS_WRITER)) + 1n;
    const out = await store.writeBatch({ agentId: RUNS_WRITER, seq, points, receivedNs: nowNs() });
    if (out.kind !== "ok") logger.warn({ outcome: out.kind }, `${what} not stored`);
  } catch (err) {
    logger.warn({ err: String(err) }, `${what} not stored`);
  }
}

/** Marks the run as running now and every REFRESH_MS; stop() marks it over (safe twice). */
export async function liveMarker(store: Store, r: RunIds, logger: Logger): Promise<{ stop: () => Promise<void> }> {
  const mark = (running: boolean) => writeRunPoints(store, [runningPoint(r, running, nowNs())], logger, "run_window marker");
  await mark(true);
  const timer = setInterval(() => void mark(true), REFRESH_MS);
  timer.unref();
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await mark(false);
    },
  };
}
