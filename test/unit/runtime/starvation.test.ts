// The starvation guard's decisions over a scripted run-queue wait (a real starved process cannot show them
// reliably: it may get no CPU at all, see README, Configuration): leave idle when starved, return after the stay,
// stay longer when starved again soon, never throw on unreadable text.
import assert from "node:assert/strict";
import type { SchedState } from "@eastwest/common";
import { runQueueWaitNs, StarvationGuard } from "../../../common/src/starvation.ts";

function rig(waits: Array<number | string>) {
  let i = 0;
  let now = 0;
  const calls: string[] = [];
  const guard = new StarvationGuard({ policy: "idle" }, {
    schedstat: () => {
      const w = waits[Math.min(i++, waits.length - 1)] as number | string;
      return typeof w === "string" ? w : `123 ${w * 1e6} 7\n`;
    },
    leave: (): SchedState => (calls.push("leave"), { policy: "normal" }),
    enter: (): SchedState => (calls.push("enter"), { policy: "idle" }),
    now: () => now,
  });
  return { guard, calls, tick: (ms: number) => ((now += ms), guard.check()) };
}

describe("starvation guard", () => {
  it("reads the run-queue wait from schedstat, and nothing from garbage", () => {
    assert.equal(runQueueWaitNs("10 20 3\n"), 20n);
    for (const bad of ["", "10", "10 -1 3", "a b c", "1 99999999999999999999999 1"]) assert.equal(runQueueWaitNs(bad), undefined, bad);
  });

  it("stays idle while the wait is short, leaves it when starved, returns after the stay", () => {
    // cumulative waits (ms) read at start and at each check
    const r = rig([0, 100, 300, 2600, 2700, 2800]);
    r.guard.start();
    r.guard.stop();
    r.tick(1000);
    r.tick(1000);
    assert.deepEqual(r.calls, []);
    assert.equal(r.guard.state.policy, "idle");
    r.tick(3000); // waited 2300 ms
    assert.deepEqual(r.calls, ["leave"]);
    assert.equal(r.guard.state.policy, "normal");
    assert.equal(r.guard.starved, 1);
    r.tick(59_000);
    assert.deepEqual(r.calls, ["leave"], "still within the 60 s stay");
    r.tick(2000);
    assert.deepEqual(r.calls, ["leave", "enter"]);
    assert.equal(r.guard.state.policy, "idle");
  });

  it("starved again soon after returning: stays twice as long", () => {
    const r = rig([0, 3000, 3000, 3000, 6000, 6000]);
    r.guard.start();
    r.guard.stop();
    r.tick(1000); // starved: 60 s
    r.tick(61_000); // back to idle
    r.tick(1000); // reads 3000 again: no new wait
    r.tick(1000); // +3000 ms: starved again 2 s after returning
    assert.deepEqual(r.calls, ["leave", "enter", "leave"]);
    r.tick(100_000);
    assert.deepEqual(r.calls, ["leave", "enter", "leave"], "the second stay is 120 s");
    r.tick(21_000);
    assert.deepEqual(r.calls, ["leave", "enter", "leave", "enter"]);
  });

  it("unreadable schedstat never boosts and never throws; a normal start is left alone", () => {
    const r = rig(["garbage", "also garbage", "x"]);
    r.guard.start();
    r.guard.stop();
    r.tick(10_000);
    r.tick(10_000);
    assert.deepEqual(r.calls, []);
    const g = new StarvationGuard({ policy: "normal" }, { schedstat: () => "0 0 0", leave: () => ({ policy: "normal" }), enter: () => ({ policy: "idle" }) });
    g.start();
    g.check();
    assert.equal(g.state.policy, "normal");
    g.stop();
  });
});
