// The kvmexits sampler's comparison of its tracepoint counts with the vm sampler's (exit-board.ts) over windows of
// COMPARE_NS: a kvm_exit_sources point per window, and a problem when the verdict turns to disagree or not working.
import type { Sample } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import { point } from "../shared/points.ts";
import type { ExitBoard, VmExitSnapshot } from "./exit-board.ts";
import { COMPARE_NS, compareExitSources, type Verdict } from "./exit-check.ts";

export class ExitWindow {
  readonly #board: ExitBoard;
  #start: VmExitSnapshot | undefined;
  #exits = 0n;
  #ns = 0n;
  #last: Verdict | undefined;

  constructor(board: ExitBoard) {
    this.#board = board;
  }

  /** Adds what perf counted (`exits` over `ns`); when a window closes, its point and a new problem, if any. */
  add(ctx: SampleContext, exits: bigint, ns: bigint): { point?: Sample; problem?: string } {
    const start = this.#start;
    if (start === undefined || start.atNs === undefined) {
      // why: the window starts with the vm sampler's first tick: before it there is nothing to compare with.
      this.#start = this.#board.snapshot();
      return {};
    }
    this.#exits += exits;
    this.#ns += ns;
    if (this.#ns < COMPARE_NS) return {};
    const now = this.#board.snapshot();
    const perf = { exits: this.#exits, ns: this.#ns };
    this.#start = now;
    this.#exits = 0n;
    this.#ns = 0n;
    // Not comparable: a guest without counters (or one not followed) exited unseen, or there is no KVM guest to count.
    if (now.atNs === undefined || now.atNs <= start.atNs || now.gaps !== start.gaps || now.guests === 0 || start.guests === 0) return {};
    const c = compareExitSources(perf, { exits: now.exits - start.exits, ns: now.atNs - start.atNs, guests: now.guests });
    const fields = {
      tracepoint_exits_per_s: c.tracepointPerS,
      vm_exits_per_s: c.vmPerS,
      diff_pct: c.diffPct,
      tracepoint_working: c.verdict !== "not_working",
      agree: c.verdict === "agree",
      vms: BigInt(now.guests),
      window_ns: perf.ns,
    };
    const changed = c.verdict !== this.#last;
    this.#last = c.verdict;
    return { point: point(ctx, "kvm_exit_sources", {}, fields), problem: changed ? c.problem : undefined };
  }
}
