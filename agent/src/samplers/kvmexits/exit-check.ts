// Pure: do the two exit sources agree? The kvm:kvm_exit tracepoint (perf, host-wide) against the vm sampler's
// per-guest counters (QMP query-stats or debugfs) over the same window.
import { fmtInt } from "@eastwest/common";

/** Window of the comparison: long enough that the ~1 interval offset between the two sources weighs little. */
export const COMPARE_NS = 10_000_000_000n;
/** Beyond this the sources disagree (fraction of the larger rate). */
export const TOLERANCE = 0.1;
/** Below this many exits/s from both sources there is too little to judge (idle guests). */
export const MIN_RATE = 10;

export type Verdict = "agree" | "disagree" | "not_working";

export interface ExitComparison {
  verdict: Verdict;
  tracepointPerS: number;
  vmPerS: number;
  /** |tracepoint - vm| / max(tracepoint, vm), %. */
  diffPct: number;
  /** The operator's sentence (undefined when they agree). */
  problem?: string;
}

const rate = (exits: bigint, ns: bigint): number => (ns > 0n ? Number(exits) / (Number(ns) / 1e9) : 0);

/** Compares `tracepoint` (exits over perf's intervals) with `vm` (exits over the vm ticks' span) counted on `guests` guests. */
export function compareExitSources(tracepoint: { exits: bigint; ns: bigint }, vm: { exits: bigint; ns: bigint; guests: number }): ExitComparison {
  const tracepointPerS = rate(tracepoint.exits, tracepoint.ns);
  const vmPerS = rate(vm.exits, vm.ns);
  const top = Math.max(tracepointPerS, vmPerS);
  const diffPct = top > 0 ? (Math.abs(tracepointPerS - vmPerS) / top) * 100 : 0;
  const vmWhat = `QMP/debugfs counted ${fmtInt(vmPerS)} exits/s on ${vm.guests} guest(s)`;
  if (tracepoint.exits === 0n && vmPerS >= MIN_RATE) {
    return { verdict: "not_working", tracepointPerS, vmPerS, diffPct, problem: `kvmexits: not working: perf kvm:kvm_exit counted 0 while ${vmWhat}` };
  }
  if (diffPct > TOLERANCE * 100 && top >= MIN_RATE) {
    const problem = `kvmexits: exit sources disagree by ${Math.round(diffPct)} %: perf kvm:kvm_exit counted ${fmtInt(tracepointPerS)} exits/s, ${vmWhat}`;
    return { verdict: "disagree", tracepointPerS, vmPerS, diffPct, problem };
  }
  return { verdict: "agree", tracepointPerS, vmPerS, diffPct };
}
