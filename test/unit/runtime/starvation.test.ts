// The starvation guard's decisions over a scripted watcher (a real starved process cannot show them reliably):
// adopt a leave, return after the stay, stay longer when starved again soon; and the real watcher thread over a
// schedstat file the test writes and a chrt that records its arguments.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SchedState } from "@eastwest/common";
import { StarvationGuard, type GuardWatch } from "../../../common/src/starvation.ts";
import { StarvationWatch } from "../../../common/src/starvation-watch.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";

function rig() {
  let now = 0;
  const calls: string[] = [];
  const c = { left: 0, waitedMs: 0, failed: 0 };
  let armed = false;
  const watch: GuardWatch = { arm: () => ((armed = true), calls.push("arm")), disarm: () => void (armed = false), counters: () => ({ ...c }) };
  const guard = new StarvationGuard({ policy: "idle" }, { watch, enter: (): SchedState => (calls.push("enter"), { policy: "idle" }), now: () => now });
  /** What the watcher does when it sees the main thread starve (only while armed). */
  const starve = (waitedMs: number) => {
    if (!armed) return;
    armed = false;
    c.left += 1;
    c.waitedMs = waitedMs;
  };
  return { guard, calls, c, starve, armed: () => armed, tick: (ms: number) => ((now += ms), guard.check()) };
}

describe("starvation guard", () => {
  it("arms the watcher, adopts its leave, returns after the stay and arms it again", () => {
    const r = rig();
    r.guard.start();
    r.guard.stop();
    r.calls.length = 0;
    r.guard.start();
    assert.ok(r.armed());
    r.tick(1000);
    assert.equal(r.guard.state.policy, "idle");
    r.starve(2300);
    r.tick(1000);
    assert.equal(r.guard.state.policy, "normal");
    assert.equal(r.guard.starved, 1);
    r.tick(59_000);
    assert.deepEqual(r.calls, ["arm"], "still within the 60 s stay");
    r.tick(2000);
    assert.deepEqual(r.calls, ["arm", "enter", "arm"]);
    assert.equal(r.guard.state.policy, "idle");
    r.guard.stop();
  });

  it("starved again soon after returning: stays twice as long", () => {
    const r = rig();
    r.guard.start();
    r.starve(3000);
    r.tick(1000); // left: 60 s
    r.tick(61_000); // back to idle
    r.tick(1000);
    r.starve(3000);
    r.tick(1000); // starved again 2 s after returning
    assert.equal(r.guard.starved, 2);
    r.tick(100_000);
    assert.equal(r.guard.state.policy, "normal", "the second stay is 120 s");
    r.tick(21_000);
    assert.equal(r.guard.state.policy, "idle");
    r.guard.stop();
  });

  it("a normal process arms nothing", () => {
    let armed = 0;
    const g = new StarvationGuard({ policy: "normal" }, { watch: { arm: () => void armed++, disarm: () => undefined, counters: () => ({ left: 0, waitedMs: 0, failed: 0 }) }, enter: () => ({ policy: "idle" }) });
    g.start();
    g.check();
    assert.equal(g.state.policy, "normal");
    assert.equal(armed, 0);
    g.stop();
  });
});

describe("starvation watcher thread", function () {
  this.timeout(30_000);
  const stat = (state: string) => `4321 (node (x)) ${state} 1 2 3\n`;
  it("runs chrt --other --all-tasks once the main thread is runnable without running for starvedMs while armed, then disarms", async () => {
    const dir = tempDir("watch");
    try {
      const task = dir.path;
      const log = join(dir.path, "chrt.log");
      const chrt = join(dir.path, "chrt");
      const set = (state: string, runNs: number | string, waitNs = 5) => (writeFileSync(join(task, "stat"), stat(state)), writeFileSync(join(task, "schedstat"), `${runNs} ${waitNs} 3\n`));
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      set("S", 1000);
      writeFileSync(chrt, `#!/bin/sh\necho "$@" >> ${log}\n`);
      chmodSync(chrt, 0o755);
      const w = await StarvationWatch.start({ pid: 4321, task, chrt, everyMs: 20, starvedMs: 1000 });
      try {
        assert.ok(w.tid > 0 && w.tid !== process.pid);
        set("R", 1000); // runnable without running, but not armed
        await pause(500);
        assert.deepEqual(w.counters(), { left: 0, waitedMs: 0, failed: 0 });
        w.arm();
        // sleeping, or runnable but running (run time moving), or unreadable: not starved
        for (let i = 0; i < 10; i++) set("R", 2000 + i), await pause(60);
        set("S", 3000);
        await pause(500);
        writeFileSync(join(task, "schedstat"), "garbage");
        await pause(100);
        assert.equal(w.counters().left, 0);
        set("R", 4000);
        const c = await waitFor(() => (w.counters().left === 1 ? w.counters() : undefined), 10_000, "the watcher leaving idle");
        assert.ok(c.waitedMs >= 1000, String(c.waitedMs));
        assert.equal(w.armed, false);
        assert.equal(readFileSync(log, "utf8"), "--other --all-tasks --pid 0 4321\n");
        writeFileSync(chrt, "#!/bin/sh\nexit 1\n");
        w.arm();
        await waitFor(() => (w.counters().failed === 1 ? true : undefined), 10_000, "a failing chrt counted");
        assert.equal(w.counters().left, 1);
        // slices far apart: the run time moves, but the wait grows by 2 x 600 ms within 2 s
        writeFileSync(chrt, `#!/bin/sh\necho "$@" >> ${log}\n`);
        set("R", 10_000, 5);
        await pause(100);
        w.arm();
        set("R", 10_001, 5 + 600e6);
        await pause(150);
        assert.equal(w.counters().left, 1, "600 ms of wait is not starved");
        set("R", 10_002, 5 + 1200e6);
        const d = await waitFor(() => (w.counters().left === 2 ? w.counters() : undefined), 10_000, "the watcher leaving idle on the wait");
        assert.ok(d.waitedMs >= 1000, String(d.waitedMs));
        // stopping: the watcher puts the process back at normal priority at once, armed or not
        writeFileSync(log, "");
        set("S", 10_003, 5 + 1200e6);
        assert.equal(await w.leaveNow(), true);
        assert.equal(readFileSync(log, "utf8"), "--other --all-tasks --pid 0 4321\n");
        assert.equal(w.armed, false);
        writeFileSync(chrt, "#!/bin/sh\nexit 1\n");
        assert.equal(await w.leaveNow(), false, "a failing chrt says so");
      } finally {
        await w.close();
      }
    } finally {
      dir.remove();
    }
  });
});
