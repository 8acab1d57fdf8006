// The host agent's two VM-exit sources compared: the kvm:kvm_exit tracepoint (kvmexits) against the guests' own
// counters (vm sampler, through the exit board), per ~10 s window. Real sources: test/integration/qemu/vm-host.test.ts.
import assert from "node:assert/strict";
import { measurement } from "@eastwest/common";
import { ExitBoard } from "../../../agent/src/samplers/kvmexits/exit-board.ts";
import { compareExitSources } from "../../../agent/src/samplers/kvmexits/exit-check.ts";
import { ExitWindow } from "../../../agent/src/samplers/kvmexits/exit-window.ts";
import { mapFs, SECOND, T0, ctx } from "./helpers.ts";

const S = SECOND;

describe("kvmexits: exit sources compared", () => {
  it("verdicts: agree within 10 %, disagree beyond, not working when the tracepoint counts 0", () => {
    const ten = 10n * S;
    assert.equal(compareExitSources({ exits: 10_500n, ns: ten }, { exits: 10_000n, ns: ten, guests: 1 }).verdict, "agree");
    const off = compareExitSources({ exits: 5_000n, ns: ten }, { exits: 10_000n, ns: ten, guests: 2 });
    assert.deepEqual([off.verdict, off.diffPct], ["disagree", 50]);
    assert.equal(off.problem, "kvmexits: exit sources disagree by 50 %: perf kvm:kvm_exit counted 500 exits/s, QMP/debugfs counted 1,000 exits/s on 2 guest(s)");
    const dead = compareExitSources({ exits: 0n, ns: ten }, { exits: 13_000n, ns: ten, guests: 1 });
    assert.deepEqual([dead.verdict, dead.problem], ["not_working", "kvmexits: not working: perf kvm:kvm_exit counted 0 while QMP/debugfs counted 1,300 exits/s on 1 guest(s)"]);
    // idle guests: nothing to call broken
    assert.equal(compareExitSources({ exits: 0n, ns: ten }, { exits: 20n, ns: ten, guests: 1 }).verdict, "agree");
    assert.equal(compareExitSources({ exits: 0n, ns: 0n }, { exits: 0n, ns: 0n, guests: 0 }).verdict, "agree");
  });

  it("a window per ~10 s of perf intervals; the problem once per verdict; no verdict when a guest was missed", () => {
    const board = new ExitBoard();
    const w = new ExitWindow(board);
    const c = (t: bigint) => ctx(mapFs({}), T0 + t * S);
    const problems: string[] = [];
    const points = [];
    // 35 s: the vm sampler counts 1,300 exits/s on one guest; perf counts 0
    for (let t = 0n; t < 35n; t++) {
      board.vmTick(T0 + t * S, t === 0n ? 0n : 1300n, 1, t === 0n);
      const r = w.add(c(t), 0n, S);
      if (r.point) points.push(r.point);
      if (r.problem) problems.push(r.problem);
    }
    assert.equal(points.length, 3);
    assert.deepEqual(problems, ["kvmexits: not working: perf kvm:kvm_exit counted 0 while QMP/debugfs counted 1,300 exits/s on 1 guest(s)"]);
    const p = points[0];
    assert.equal(p?.measurement, "kvm_exit_sources");
    assert.deepEqual([p?.fields["tracepoint_working"], p?.fields["agree"], p?.fields["vm_exits_per_s"], p?.fields["diff_pct"]], [false, false, 1300, 100]);
    const def = measurement("kvm_exit_sources");
    for (const f of Object.keys(p?.fields ?? {})) assert.ok(def?.fields[f], `kvm_exit_sources.${f} declared`);
    assert.deepEqual(Object.keys(p?.tags ?? {}).sort(), [...(def?.tags ?? [])].sort());

    // a guest without counters in the next window: no verdict for it
    const before = points.length;
    for (let t = 35n; t < 46n; t++) {
      board.vmTick(T0 + t * S, 1300n, 1, t === 40n);
      const r = w.add(c(t), 1300n, S);
      if (r.point) points.push(r.point);
    }
    assert.equal(points.length, before, "the window with a miss gives no point");
  });
});
