// Reading store Series over a run window: one field's points, counter increases across resets, last rows.
// Pure. Times are Unix epoch ns; windows are closed, [fromNs, toNs].
import type { FieldValue } from "@eastwest/common";
import type { Series } from "../store/types.ts";
import type { Window } from "./types.ts";
import type { CounterSpan } from "./results.ts";

/** What a reader of one agent's series needs: the window, where to put warnings, and the agent's name in them. */
export interface ReadCtx {
  w: Window;
  warn: (note: string) => void;
  /** e.g. "server agent a1". */
  who: string;
  /**
   * Seconds the traffic ran (iperf3's measured test time), when the window brackets
   * the whole run with idle samples on both sides: counter deltas over the
   * window are then divided by this, not by the sample span (which includes idle time).
   */
  activeS?: number;
}

export interface Point<V> {
  t: bigint;
  v: V;
}

type Cell = bigint | FieldValue | null | undefined;

const U64_MAX = (1n << 64n) - 1n;

/** A counter cell as an exact integer in [0, 2^64 - 1] (bigint, or a float rounded); undefined otherwise. */
export function counterValue(x: Cell): bigint | undefined {
  if (typeof x === "bigint") return x >= 0n && x <= U64_MAX ? x : undefined;
  if (typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 2 ** 64) {
    const v = BigInt(Math.round(x));
    return v <= U64_MAX ? v : U64_MAX;
  }
  return undefined;
}

/** A finite float of a cell (bigint converted); undefined otherwise. */
export function floatValue(x: Cell): number | undefined {
  if (typeof x === "bigint") return Number(x);
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

function timeOf(row: readonly Cell[]): bigint | undefined {
  const t = row[0];
  return typeof t === "bigint" ? t : typeof t === "number" && Number.isSafeInteger(t) ? BigInt(t) : undefined;
}

/** True when t is inside the window; `openStart` excludes fromNs itself. */
export function inWindow(t: bigint, w: Window, openStart = false): boolean {
  return (openStart ? t > w.fromNs : t >= w.fromNs) && t <= w.toNs;
}

/** Rows of every series with a time inside the window, ascending; each with its series. */
export function rowsIn(series: readonly Series[], w: Window, openStart = false): Array<{ s: Series; t: bigint; row: readonly Cell[] }> {
  const out: Array<{ s: Series; t: bigint; row: readonly Cell[] }> = [];
  for (const s of series) {
    for (const row of s.values) {
      const t = timeOf(row);
      if (t !== undefined && inWindow(t, w, openStart)) out.push({ s, t, row });
    }
  }
  return out.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
}

/** One field's values inside the window across the series, ascending; rows where `read` gives undefined are skipped. */
export function fieldPoints<V>(series: readonly Series[], field: string, w: Window, read: (x: Cell) => V | undefined, openStart = false): Point<V>[] {
  const out: Point<V>[] = [];
  for (const { s, t, row } of rowsIn(series, w, openStart)) {
    const col = s.columns.indexOf(field);
    if (col < 1) continue;
    const v = read(row[col]);
    if (v !== undefined) out.push({ t, v });
  }
  return out;
}

export type SpanResult = { span: CounterSpan } | { reason: string };

/**
 * Increase of a counter between the first and the last sample inside the window. A decrease is a reset:
 * the counter restarted from 0, so the value after it counts as its increase (a lower bound).
 */
export function counterSpan(series: readonly Series[], field: string, w: Window): SpanResult {
  const pts = fieldPoints(series, field, w, counterValue);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first === undefined || last === undefined || pts.length < 2) return { reason: `${pts.length} sample(s) of ${field} in the window, 2 needed` };
  if (last.t <= first.t) return { reason: `samples of ${field} in the window share one time` };
  let delta = 0n;
  let resets = 0;
  for (let i = 1; i < pts.length; i++) {
    const prev = pts[i - 1] as Point<bigint>;
    const cur = pts[i] as Point<bigint>;
    if (cur.v >= prev.v) delta += cur.v - prev.v;
    else {
      resets++;
      delta += cur.v;
    }
  }
  const seconds = Number(last.t - first.t) / 1e9;
  return { span: { from_ns: first.t, to_ns: last.t, seconds, delta: Number(delta), resets, samples: pts.length } };
}

/** a / b when both are finite and b > 0; else null. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

/** A non-empty tag value of the series (e.g. host), or "". */
export function tagOf(series: readonly Series[], tag: string): string {
  for (const s of series) {
    const v = s.tags[tag];
    if (v !== undefined && v !== "") return v;
  }
  return "";
}
