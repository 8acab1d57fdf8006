// The read path's merge: a series' points come from the head's rows, its chunks and its rollups' minutes, each source
// in time order but the sources interleaved. Each source adds runs (stretches in time order); what waits per series
// goes to the series' builder in time order once no run still to come can be earlier, merged across runs (earlier
// runs first on equal times). A builder that is full takes nothing more, and its series' chunks need not be decoded.
// What waits is bounded by the head's rows in the range plus one chunk per series. No object is made per point: a
// series with one run waiting (a chunk after chunk, the usual case) hands it to the builder as a range.
import type { Minute, Segment, SeriesBuilder } from "../series-builder.ts";

/** Points pos..end-1 of a source in time order; what point k is comes from the kind. */
type Run =
  | { kind: "chunk"; times: readonly bigint[]; seg: Segment; pos: number; end: number }
  | { kind: "rows"; times: bigint[]; segs: Segment[]; pos: number; end: number }
  | { kind: "minutes"; times: readonly bigint[]; minutes: readonly Minute[]; pos: number; end: number };

export class Merge {
  readonly #builders: ReadonlyMap<bigint, SeriesBuilder>;
  readonly #pending = new Map<bigint, Run[]>();

  constructor(builders: ReadonlyMap<bigint, SeriesBuilder>) {
    this.#builders = builders;
  }

  /** False once the series' builder is full (or the series is not asked for): nothing more of it is needed. */
  wants(series: bigint): boolean {
    const b = this.#builders.get(series);
    return b !== undefined && !b.full;
  }

  /** A head row (one point of its own field set); a series' rows must come in time order and before its other runs. */
  addRow(series: bigint, timeNs: bigint, seg: Segment): void {
    const runs = this.#runs(series);
    let run = runs[runs.length - 1];
    if (run === undefined || run.kind !== "rows") runs.push((run = { kind: "rows", times: [], segs: [], pos: 0, end: 0 }));
    run.times.push(timeNs);
    run.segs.push(seg);
    run.end++;
  }

  /** Points from..to-1 of a chunk's segment, whose times (ascending) are times[from..to-1]. */
  addPoints(series: bigint, times: readonly bigint[], seg: Segment, from: number, to: number): void {
    if (from < to) this.#runs(series).push({ kind: "chunk", times, seg, pos: from, end: to });
  }

  /** Rollup minutes, each at the time of its last point. */
  addMinutes(series: bigint, minutes: Minute[]): void {
    if (minutes.length === 0) return;
    minutes.sort((a, b) => (a.lastNs < b.lastNs ? -1 : a.lastNs > b.lastNs ? 1 : 0));
    this.#runs(series).push({ kind: "minutes", times: minutes.map((m) => m.lastNs), minutes, pos: 0, end: minutes.length });
  }

  /** Every run of the series still to come is at or after `from`: what waits before it goes to the builder. */
  flushBefore(series: bigint, from: bigint): void {
    const runs = this.#pending.get(series);
    if (runs !== undefined) this.#feed(series, runs, from);
  }

  /** The end of every source: everything waiting goes to the builders. */
  finish(): void {
    for (const [series, runs] of this.#pending) this.#feed(series, runs, undefined);
    this.#pending.clear();
  }

  #runs(series: bigint): Run[] {
    let runs = this.#pending.get(series);
    if (runs === undefined) this.#pending.set(series, (runs = []));
    return runs;
  }

  /** Feeds the series' waiting points before `until` (undefined: all) in time order, and drops the runs used up. */
  #feed(series: bigint, runs: Run[], until: bigint | undefined): void {
    const builder = this.#builders.get(series);
    if (builder === undefined) return void runs.splice(0);
    if (runs.length === 1) {
      const run = runs[0] as Run;
      let k = run.pos;
      if (until === undefined) k = run.end;
      else while (k < run.end && (run.times[k] as bigint) < until) k++;
      if (run.kind === "chunk") builder.addRange(run.times, run.seg, run.pos, k);
      else for (let i = run.pos; i < k && !builder.full; i++) feedOne(builder, run, i);
      run.pos = k;
    } else {
      for (;;) {
        if (builder.full) break;
        let best: Run | undefined;
        for (const run of runs) {
          if (run.pos < run.end && (best === undefined || (run.times[run.pos] as bigint) < (best.times[best.pos] as bigint))) best = run;
        }
        if (best === undefined || (until !== undefined && (best.times[best.pos] as bigint) >= until)) break;
        feedOne(builder, best, best.pos++);
      }
    }
    let w = 0;
    for (const run of runs) if (run.pos < run.end && !builder.full) runs[w++] = run;
    runs.length = w;
  }
}

function feedOne(builder: SeriesBuilder, run: Run, i: number): void {
  if (run.kind === "chunk") builder.addAt(run.times[i] as bigint, run.seg, i);
  else if (run.kind === "rows") builder.addAt(run.times[i] as bigint, run.segs[i] as Segment, 0);
  else builder.addMinute(run.minutes[i] as Minute);
}
