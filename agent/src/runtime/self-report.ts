// The self report: each sampler's health as an eastwest_sampler point — its slowest tick, whether every tick
// succeeded, and its ticks/errors/points totals — on every tick when it samples at selfIntervalMs or slower, else
// once per selfIntervalMs. Contract: noteTick() after every finished tick, then selfDue() says whether that tick
// reports, and selfPoint() makes the point and starts a new window.
//
// why: at 10 Hz a point per sampler per tick was a third of everything an agent sent, and its cost (encoding,
// ingest, storage) was paid by the hosts being measured.
import type { Sample } from "@eastwest/common";
import type { SamplerState } from "./scheduler.types.ts";

/** What a sampler's ticks since its last eastwest_sampler point add up to. */
export interface SelfWindow {
  /** Time of the tick that made the last report (undefined: none yet). */
  reportedNs: bigint | undefined;
  maxDurationNs: bigint;
  allOk: boolean;
}

/** A sampler as the self report sees it. */
export interface SelfReported {
  readonly sampler: { readonly name: string };
  readonly intervalMs: number;
  readonly state: SamplerState;
  readonly self: SelfWindow;
  /** Tags of its eastwest_sampler point, made once and frozen (points share them; the encoder keeps their bytes). */
  selfTags?: Readonly<Record<string, string>>;
}

export function newSelfWindow(): SelfWindow {
  return { reportedNs: undefined, maxDurationNs: 0n, allOk: true };
}

/** Adds a finished tick (durationNs, ns) to the window. */
export function noteTick(w: SelfWindow, durationNs: bigint, ok: boolean): void {
  if (durationNs > w.maxDurationNs) w.maxDurationNs = durationNs;
  w.allOk &&= ok;
}

/**
 * Whether this tick reports: the first one does, and then the first at least selfIntervalMs after the last report,
 * less half an interval so that grid jitter does not skip a report.
 */
export function selfDue(e: SelfReported, tickNs: bigint, selfIntervalMs: number): boolean {
  const last = e.self.reportedNs;
  if (last === undefined || e.intervalMs >= selfIntervalMs) return true;
  return (tickNs - last) * 2n >= BigInt(2 * selfIntervalMs - e.intervalMs) * 1_000_000n;
}

/** The eastwest_sampler point of `e` at timeNs; starts the next window. */
export function selfPoint(e: SelfReported, timeNs: bigint, agentId: string): Sample {
  const w = e.self;
  const point: Sample = {
    measurement: "eastwest_sampler",
    tags: (e.selfTags ??= Object.freeze({ agent_id: agentId, sampler: e.sampler.name })),
    fields: {
      duration_ns: w.maxDurationNs,
      up: w.allOk,
      ticks_total: e.state.ticks,
      errors_total: e.state.errors,
      points_total: e.state.points,
      interval_ms: BigInt(e.intervalMs),
    },
    timeNs,
  };
  w.reportedNs = timeNs;
  w.maxDurationNs = 0n;
  w.allOk = true;
  return point;
}
