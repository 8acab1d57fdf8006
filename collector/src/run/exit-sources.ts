// Do a host's two VM-exit sources agree over the run window? The kvm:kvm_exit tracepoint (kvmexits sampler, perf,
// host-wide) against the sum of the VMs' own exit counters (vm_kvm: QMP query-stats or debugfs) on the same host agent.
// Where they disagree by more than 10 %, or the tracepoint counts 0 while the VMs count exits, the run says so.
import { fmtInt } from "@eastwest/common";
import type { Series, Store } from "../store/types.ts";
import { counterSpan, fieldPoints, floatValue } from "./series.ts";
import type { Window } from "./types.ts";

export interface ExitSourceRow {
  agent_id: string;
  /** exits/s counted by the tracepoint over its intervals in the window; null without kvm_exits samples. */
  tracepoint_per_s: number | null;
  /** exits/s summed over the host's VMs with KVM counters; null without vm_kvm samples. */
  vms_per_s: number | null;
  /** |a - b| / max(a, b), %; null unless both are there. */
  diff_pct: number | null;
  verdict: "agree" | "disagree" | "not_working" | "not_compared";
}

const TOLERANCE_PCT = 10;
/** Below this many exits/s on both sides there is too little to judge. */
const MIN_RATE = 10;

/** Exits per second of the kvm_exits points inside (from, to]: each counts its own perf interval. */
function tracepointRate(series: readonly Series[], w: Window): number | null {
  const open = { fromNs: w.fromNs + 1n, toNs: w.toNs };
  const exits = fieldPoints(series, "exits", open, floatValue);
  const ns = fieldPoints(series, "interval_ns", open, floatValue);
  const seconds = ns.reduce((s, p) => s + p.v, 0) / 1e9;
  return exits.length === 0 || seconds <= 0 ? null : exits.reduce((s, p) => s + p.v, 0) / seconds;
}

/** Sum over the VMs of each one's exits_total increase / its span. */
function vmsRate(series: readonly Series[], w: Window): number | null {
  let sum: number | null = null;
  for (const s of series) {
    const r = counterSpan([s], "exits_total", w);
    if ("span" in r && r.span.seconds > 0) sum = (sum ?? 0) + r.span.delta / r.span.seconds;
  }
  return sum;
}

/** One row per host agent, and a note for each that disagrees or whose tracepoint does not work. */
export async function exitSources(store: Store, hostAgents: readonly string[], w: Window): Promise<{ rows: ExitSourceRow[]; notes: string[] }> {
  const rows: ExitSourceRow[] = [];
  const notes: string[] = [];
  for (const agentId of hostAgents) {
    const q = (measurement: string) => store.query({ measurement, fromNs: w.fromNs, toNs: w.toNs, tags: { agent_id: agentId } });
    const [tp, vms] = await Promise.all([q("kvm_exits"), q("vm_kvm")]);
    const a = tracepointRate(tp, w);
    const b = vmsRate(vms, w);
    const row: ExitSourceRow = { agent_id: agentId, tracepoint_per_s: a, vms_per_s: b, diff_pct: null, verdict: "not_compared" };
    if (a !== null && b !== null) {
      const top = Math.max(a, b);
      row.diff_pct = top > 0 ? (Math.abs(a - b) / top) * 100 : 0;
      row.verdict = "agree";
      if (a === 0 && b >= MIN_RATE) {
        row.verdict = "not_working";
        notes.push(`exit sources on ${agentId}: kvmexits not working: perf kvm:kvm_exit counted 0 while the VMs' KVM counters (QMP/debugfs) counted ${fmtInt(b)} exits/s`);
      } else if (row.diff_pct > TOLERANCE_PCT && top >= MIN_RATE) {
        row.verdict = "disagree";
        notes.push(`exit sources on ${agentId} disagree by ${Math.round(row.diff_pct)} %: perf kvm:kvm_exit ${fmtInt(a)} exits/s, the VMs' KVM counters ${fmtInt(b)} exits/s`);
      }
    }
    rows.push(row);
  }
  return { rows, notes };
}
