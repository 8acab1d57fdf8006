// The scheduling policy helpers: /proc parsing, the decision to go idle, and tools run at normal priority.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CommandError } from "@eastwest/common";
import { applyScheduling, atNormal, atNormalPriority, findOnPath, hasCapSysNice, SCHED_IDLE, SCHED_OTHER, statPolicy, threadPolicies, type SchedDeps } from "../../../common/src/sched.ts";

/** A /proc/<pid>/stat line with `comm` and the policy in field 41. */
function statLine(comm: string, policy: number): string {
  const after = Array.from({ length: 50 }, (_, i) => (i === 38 ? String(policy) : i === 0 ? "S" : "0"));
  return `1234 (${comm}) ${after.join(" ")}\n`;
}

function deps(over: Partial<SchedDeps> & { calls?: string[][] } = {}): SchedDeps & { calls: string[][] } {
  const calls = over.calls ?? [];
  return {
    pid: 4321,
    status: () => "Name:\tnode\nCapEff:\t000001ffffffffff\n",
    chrt: (args) => void calls.push([...args]),
    policies: () => [SCHED_IDLE, SCHED_IDLE],
    tids: () => [4321, 4322],
    ...over,
    calls,
  };
}

describe("scheduling policy", () => {
  describe("statPolicy", () => {
    it("reads field 41, whatever the command name holds", () => {
      assert.equal(statPolicy(statLine("node", 5)), 5);
      assert.equal(statPolicy(statLine("a (b) c", 0)), 0);
      assert.equal(statPolicy(statLine(")", 3)), 3);
    });

    it("reads this process's own policy (a test runs at SCHED_OTHER)", () => {
      assert.equal(statPolicy(readFileSync("/proc/self/stat", "utf8")), SCHED_OTHER);
      const threads = threadPolicies(process.pid);
      assert.ok(threads.length >= 1);
      assert.ok(threads.every((p) => p === SCHED_OTHER), String(threads));
    });

    it("says what is wrong with a text it cannot read", () => {
      assert.throws(() => statPolicy("1234 node S 0"), /no '\)'/);
      assert.throws(() => statPolicy("1234 (node) S 1 2 3"), /no policy field \(6 fields\)/);
      assert.throws(() => statPolicy(statLine("node", 5).replace(/ 5 /, " x ")), /no policy field/);
    });
  });

  describe("hasCapSysNice", () => {
    it("tests bit 23 of CapEff", () => {
      assert.equal(hasCapSysNice("CapEff:\t0000000000800000\n"), true);
      assert.equal(hasCapSysNice("CapEff:\t000001fffe7fffff\n"), false);
      assert.equal(hasCapSysNice("CapInh:\t0000000000800000\nCapEff:\t0000000000000000\n"), false);
    });

    it("a status without CapEff is an error, not a guess", () => {
      assert.throws(() => hasCapSysNice("Name:\tnode\n"), /no CapEff/);
    });
  });

  describe("applyScheduling", () => {
    it("normal changes nothing", () => {
      const d = deps();
      assert.deepEqual(applyScheduling("normal", d), { policy: "normal" });
      assert.deepEqual(d.calls, []);
    });

    it("idle: chrt on every thread of the pid, the main thread last (no chrt is forked from an idle thread), then checks them", () => {
      const d = deps();
      assert.deepEqual(applyScheduling("idle", d), { policy: "idle" });
      assert.deepEqual(d.calls, [["--idle", "--pid", "0", "4322"], ["--idle", "--pid", "0", "4321"]]);
    });

    it("threads made meanwhile go idle too; a thread that ended before its chrt is passed over", () => {
      let listed = 0;
      const grows = deps({ tids: () => (++listed === 1 ? [4321, 4322] : [4321, 4322, 4330]) });
      assert.deepEqual(applyScheduling("idle", grows), { policy: "idle" });
      assert.deepEqual(grows.calls.map((c) => c[3]), ["4322", "4330", "4321"]);
      const calls: string[][] = [];
      const ended = deps({
        calls,
        tids: () => (calls.length === 0 ? [4321, 4322, 4323] : [4321, 4323]),
        chrt: (args) => {
          calls.push([...args]);
          if (args[3] === "4322") throw new Error("chrt: failed to set pid 4322's policy: No such process");
        },
      });
      assert.deepEqual(applyScheduling("idle", ended), { policy: "idle" });
      assert.deepEqual(calls.map((c) => c[3]), ["4322", "4323", "4321"]);
    });

    it("without CAP_SYS_NICE stays normal, says why and does not call chrt", () => {
      const d = deps({ status: () => "CapEff:\t0000000000000000\n" });
      const s = applyScheduling("idle", d);
      assert.equal(s.policy, "normal");
      assert.match(s.unavailable ?? "", /^unavailable: no CAP_SYS_NICE/);
      assert.deepEqual(d.calls, []);
    });

    it("kept threads (the watcher) never leave SCHED_OTHER; one more normal thread than kept undoes it all", () => {
      const d = deps({ policies: () => [SCHED_IDLE, SCHED_OTHER, SCHED_IDLE], tids: () => [4321, 4242, 4322] });
      assert.deepEqual(applyScheduling("idle", d, [4242]), { policy: "idle" });
      assert.deepEqual(d.calls, [["--idle", "--pid", "0", "4322"], ["--idle", "--pid", "0", "4321"]]);
      const two = deps({ policies: () => [SCHED_OTHER, SCHED_OTHER, SCHED_IDLE] });
      assert.deepEqual(applyScheduling("idle", two, [4242]), { policy: "normal", unavailable: "unavailable: 1 thread(s) not under SCHED_IDLE after chrt (policy 0)" });
      assert.deepEqual(two.calls.at(-1), ["--other", "--all-tasks", "--pid", "0", String(two.pid)]);
    });

    it("a failing chrt or a thread left behind: normal, with the reason", () => {
      const failing = applyScheduling("idle", deps({ chrt: () => { throw new Error("chrt (util-linux) not found"); } }));
      assert.deepEqual(failing, { policy: "normal", unavailable: "unavailable: chrt (util-linux) not found" });
      const half = deps({ chrt: (args) => { half.calls.push([...args]); if (args[3] === "4321" && args[0] === "--idle") throw new Error("chrt: Operation not permitted"); } });
      assert.deepEqual(applyScheduling("idle", half), { policy: "normal", unavailable: "unavailable: chrt: Operation not permitted" });
      assert.deepEqual(half.calls.at(-1), ["--other", "--all-tasks", "--pid", "0", "4321"], "the threads made idle go back: never half idle");
      const stray = applyScheduling("idle", deps({ policies: () => [SCHED_IDLE, SCHED_OTHER] }));
      assert.deepEqual(stray, { policy: "normal", unavailable: "unavailable: 1 thread(s) not under SCHED_IDLE after chrt (policy 0)" });
      const unreadable = applyScheduling("idle", deps({ status: () => { throw new Error("EACCES"); } }));
      assert.deepEqual(unreadable, { policy: "normal", unavailable: "unavailable: EACCES" });
    });
  });

  describe("tools at normal priority", () => {
    it("an idle process runs tools through chrt --other 0; a normal one runs them as they are", () => {
      assert.deepEqual(atNormalPriority({ policy: "idle" }, "sh", ["-c", "true"]), ["chrt", ["--other", "0", "sh", "-c", "true"]]);
      assert.deepEqual(atNormalPriority({ policy: "normal" }, "sh", ["-c", "true"]), ["sh", ["-c", "true"]]);
    });

    it("a missing tool fails as it would without chrt", async () => {
      assert.throws(() => atNormalPriority({ policy: "idle" }, "no-such-tool-eastwest", []), (e: unknown) => e instanceof CommandError && e.message === "no-such-tool-eastwest: not found");
      const run = atNormal(() => ({ policy: "idle" }), async () => "ran");
      await assert.rejects(run("no-such-tool-eastwest", []), /no-such-tool-eastwest: not found/);
      assert.equal(await run("sh", []), "ran");
    });

    it("finds tools on PATH, and paths as given", () => {
      assert.equal(findOnPath("sh", "/nonexistent:/bin"), "/bin/sh");
      assert.equal(findOnPath("/bin/sh", ""), "/bin/sh");
      assert.equal(findOnPath("sh", "/nonexistent"), undefined);
    });
  });
});
