// An idle agent on a CPU with no idle time: pinned with a busy loop at normal priority on the same CPU, a
// SCHED_IDLE agent gets next to nothing (a guard inside it never ran for over a minute). Its watcher thread, kept
// at SCHED_OTHER, sees the run-queue wait and leaves SCHED_IDLE; the agent says so and the batches keep coming.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { SCHED_IDLE, SCHED_OTHER, threadPolicies, threadsOf } from "../../../common/src/sched.ts";
import { killAll, requireBinary, start, tempDir, waitFor } from "../../helpers/procs.ts";

describe("scheduling: an idle agent that starves", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let hog: ChildProcess | undefined;
  before(async function () {
    if (process.getuid?.() !== 0) {
      if (process.env["CI"] === "true") throw new Error("this test needs root (SCHED_IDLE and back needs CAP_SYS_NICE)");
      this.skip();
    }
    requireBinary("taskset");
    requireBinary("chrt");
    dir = tempDir("starve");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
  });
  after(async () => {
    hog?.kill("SIGKILL");
    await killAll();
    await collector?.stop();
    dir?.remove();
  });

  it("leaves SCHED_IDLE when a busy loop at normal priority takes its CPU, and keeps delivering", async () => {
    const cpu = "0";
    const agent = start(["agent", "--id", "starved-1", "--collector", `127.0.0.1:${collector.grpcPort}`, "--interval-ms", "500", "--log-level", "info"], { prefix: ["taskset", "-c", cpu] });
    await collector.sessions.waitFor("starved-1", 30_000);
    await waitFor(() => (/"msg":"agent started"/.test(agent.stderr()) ? true : undefined), 30_000, "the agent started (it enters SCHED_IDLE then)");
    // why: on a host already loaded at normal priority the agent may starve, and leave idle, before the busy loop.
    await waitFor(() => {
      if (agent.stderr().includes("starved at SCHED_IDLE")) return true;
      const t = threadsOf(agent.pid);
      return t.filter((x) => x.comm !== "eastwest-watch").every((x) => x.policy === SCHED_IDLE) && t.some((x) => x.comm === "eastwest-watch" && x.policy === SCHED_OTHER) ? true : undefined;
    }, 20_000, "every agent thread idle but its watcher (or the agent saying it starved)");
    // A busy loop at normal priority on the agent's CPU: from now on that CPU has no idle time.
    hog = spawn("taskset", ["-c", cpu, process.execPath, "-e", "for(;;){}"], { stdio: "ignore" });
    const line = await waitFor(() => agent.stderr().split("\n").find((l) => l.includes("starved at SCHED_IDLE")), 60_000, "the agent saying it starved");
    const logged = JSON.parse(line) as { waitedMs: number; normalForMs: number };
    // why: waitedMs is how long the main thread had been runnable without running: the watcher left soon after
    // the 2 s mark, not after a minute (as a guard inside the idle threads did).
    assert.ok(logged.waitedMs >= 2000 && logged.waitedMs < 15_000, line);
    assert.equal(logged.normalForMs, 60_000);
    await waitFor(() => (threadPolicies(agent.pid).every((p) => p === SCHED_OTHER) ? true : undefined), 20_000, "every agent thread back at SCHED_OTHER");
    // Delivery goes on while the hog runs: new batches are stored.
    const highest = async () => (await collector.store.highestSeq("starved-1"));
    const before = await highest();
    const after = await waitFor(async () => {
      const h = await highest();
      return h >= before + 3n ? h : undefined;
    }, 30_000, "three more batches stored while the CPU is busy");
    assert.ok(after > before);
  });
});
