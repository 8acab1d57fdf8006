// Reading a run record and its samples for the rules: numbers that may arrive as bigint, number or decimal
// string (a record read back from JSON), the sender and receiver ends, and series means and counter increases
// over the window. Pure; nothing here throws on a malformed record: a missing figure is undefined.
import type { Series } from "../store/types.ts";
import type { EndpointResults } from "../run/results.ts";
import type { EndSamples, RunSamples } from "./samples.ts";
import type { DiagnosedRun } from "./types.ts";

/** A finite number from a bigint, number or decimal string; undefined otherwise. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

export interface Ends {
  sender: EndpointResults | undefined;
  receiver: EndpointResults | undefined;
  senderSide: "server" | "client";
  receiverSide: "server" | "client";
}

/** The data sender and receiver of the reference direction (results.sender names the sending side). */
export function ends(run: DiagnosedRun): Ends {
  const r = run.results;
  const senderSide = r?.sender === "server" ? "server" : "client";
  const receiverSide = senderSide === "server" ? "client" : "server";
  return { sender: r?.[senderSide], receiver: r?.[receiverSide], senderSide, receiverSide };
}

/** The samples of one side, or undefined with samples absent. */
export function endSamples(samples: RunSamples | null, side: "server" | "client"): EndSamples | undefined {
  return samples?.[side];
}

/** Values of one field of a series with their times, inside [fromNs, toNs]. */
export function fieldPoints(s: Series, field: string, fromNs?: bigint, toNs?: bigint): Array<{ t: bigint; v: number }> {
  const i = Array.isArray(s?.columns) ? s.columns.indexOf(field) : -1;
  if (i < 0 || !Array.isArray(s.values)) return [];
  const out: Array<{ t: bigint; v: number }> = [];
  for (const row of s.values) {
    if (!Array.isArray(row)) continue;
    const tn = num(row[0]);
    const v = num(row[i]);
    if (tn === undefined || v === undefined) continue;
    const t = typeof row[0] === "bigint" ? row[0] : BigInt(Math.round(tn));
    if ((fromNs !== undefined && t < fromNs) || (toNs !== undefined && t > toNs)) continue;
    out.push({ t, v });
  }
  return out;
}

/** Mean of a field over the window; undefined without points. */
export function meanOf(s: Series, field: string, fromNs?: bigint, toNs?: bigint): number | undefined {
  const p = fieldPoints(s, field, fromNs, toNs);
  return p.length === 0 ? undefined : p.reduce((a, x) => a + x.v, 0) / p.length;
}

/** Counter increase over the window (sum of non-negative steps: a reset adds nothing); undefined with < 2 points. */
export function increase(s: Series, field: string, fromNs?: bigint, toNs?: bigint): number | undefined {
  const p = fieldPoints(s, field, fromNs, toNs);
  if (p.length < 2) return undefined;
  let sum = 0;
  for (let i = 1; i < p.length; i++) sum += Math.max(0, (p[i] as { v: number }).v - (p[i - 1] as { v: number }).v);
  return sum;
}

/** Series of a list whose tag has this value (e.g. cpu != "all"). */
export function byTag(list: readonly Series[] | undefined, tag: string, pred: (v: string) => boolean): Series[] {
  return (Array.isArray(list) ? list : []).filter((s) => typeof s?.tags?.[tag] === "string" && pred(s.tags[tag] as string));
}

/** The window of the samples, as the rules cite it. */
export function windowText(samples: RunSamples | null, run: DiagnosedRun): string {
  const s = num(run.results?.window_s);
  return s === undefined ? "run window" : `run window (${s.toFixed(1)} s)`;
}

/** The last value of a field in the newest row that has it; undefined when none. */
export function lastOf(s: Series, field: string): number | boolean | string | undefined {
  const i = Array.isArray(s?.columns) ? s.columns.indexOf(field) : -1;
  if (i < 0 || !Array.isArray(s.values)) return undefined;
  for (let j = s.values.length - 1; j >= 0; j--) {
    const v = s.values[j]?.[i];
    if (typeof v === "boolean" || typeof v === "string") return v;
    const n = num(v);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Round for display in evidence: 3 significant digits, integers as they are. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return 0;
  if (Number.isInteger(x) || Math.abs(x) >= 1000) return Math.round(x);
  return Number(x.toPrecision(3));
}
