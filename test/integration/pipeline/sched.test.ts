// Real agents under SCHED_IDLE (their default as root), the tools they start for a run at SCHED_OTHER, the
// policy reported in the agent's own point; --scheduling normal, and an agent without CAP_SYS_NICE.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { defaultSpec } from "../../../collector/src/run/runner.ts";
import { SCHED_IDLE, SCHED_OTHER, statPolicy, threadPolicies, threadsOf } from "../../../common/src/sched.ts";
import { freePort, RUN_ACTIONS, getJson, killAll, requireBinary, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

/** Policies of the iperf3 processes whose argv names `port`. */
function iperf3Policies(port: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (/(^|\/)iperf3$/.test(argv[0] ?? "") && argv.includes(String(port))) out.set(Number(name), statPolicy(readFileSync(`/proc/${name}/stat`, "utf8")));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Whether the agent's starvation guard took it out of SCHED_IDLE (it logs that as a warning). */
const starved = (p: Proc) => p.stderr().includes("starved at SCHED_IDLE");

/** Resolves with the policies of every thread once the agent runs (after its re-exec) and has connected. */
async function connected(collector: Collector, id: string, agent: Proc): Promise<number[]> {
  await collector.sessions.waitFor(id, 20_000);
  if (agent.child.exitCode !== null) throw new Error(`agent ${id} exited: ${agent.stderr()}`);
  return threadPolicies(agent.pid);
}

describe("scheduling policy of real processes", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  before(async function () {
    if (process.getuid?.() !== 0) {
      if (process.env["CI"] === "true") throw new Error("these tests need root (SCHED_IDLE and back needs CAP_SYS_NICE)");
      this.skip();
    }
    requireBinary("iperf3");
    requireBinary("chrt");
    requireBinary("setpriv");
    dir = tempDir("sched");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
  });
  after(async () => {
    await killAll();
    await collector?.stop();
    dir?.remove();
  });

  it("agents run idle, the iperf3 they start for a run runs normal, and the agent's point says sched_idle", async () => {
    const col = `127.0.0.1:${collector.grpcPort}`;
    const idle = new Map<string, boolean>();
    const server = start(["agent", "--id", "idle-server", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
    const client = start(["agent", "--id", "idle-client", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
    for (const [id, p] of [["idle-server", server], ["idle-client", client]] as const) {
      await connected(collector, id, p);
      // why: the agent starts at normal priority and enters SCHED_IDLE once started; on a host with no idle CPU
      // its starvation guard may already have taken it back to normal, and then it has said so.
      const seen = await waitFor(() => {
        if (starved(p)) return "starved";
        const t = threadsOf(p.pid);
        const rest = t.filter((x) => x.comm !== "eastwest-watch");
        return rest.length > 1 && rest.every((x) => x.policy === SCHED_IDLE) && t.find((x) => x.comm === "eastwest-watch")?.policy === SCHED_OTHER ? "idle" : undefined;
      }, 20_000, `${id}: every thread at SCHED_IDLE but the watcher at SCHED_OTHER (or the agent saying it starved)`);
      idle.set(id, seen === "idle");
    }
    const port = await freePort();
    const seen = new Map<number, number>();
    const watch = setInterval(() => iperf3Policies(port).forEach((policy, pid) => seen.set(pid, policy)), 50);
    try {
      const spec = defaultSpec({ durationS: 2, port, server: { agentId: "idle-server", interface: "lo" }, client: { agentId: "idle-client", interface: "lo" }, serverAddress: "127.0.0.1", sampleIntervalMs: 200 });
      const record = await collector.run(spec);
      assert.ok(record.results.throughput.iperf3_receiver_bits_per_s > 0, JSON.stringify(record.results.throughput));
    } finally {
      clearInterval(watch);
    }
    // why: a server and a client, each seen at least once while it ran.
    assert.ok(seen.size >= 2, `iperf3 processes seen: ${[...seen.keys()]}`);
    assert.deepEqual([...new Set(seen.values())], [SCHED_OTHER]);
    const latest = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${collector.httpPort}/api/v1/latest?measurement=eastwest_agent&agent_id=idle-server`);
      const text = await r.text();
      return text.includes("sched_idle") ? text : undefined;
    }, 20_000, "the agent's own point");
    assert.match(latest, starved(server) ? /"sched_idle":(true|false)/ : /"sched_idle":true/);
    assert.ok(idle.get("idle-server") || starved(server));
  });

  it("--scheduling normal keeps SCHED_OTHER and reports sched_idle false", async () => {
    const agent = start(["agent", "--id", "normal-1", "--collector", `127.0.0.1:${collector.grpcPort}`, "--scheduling", "normal", "--log-level", "warn"]);
    const threads = await connected(collector, "normal-1", agent);
    assert.ok(threads.every((x) => x === SCHED_OTHER), String(threads));
    assert.ok(!threadsOf(agent.pid).some((t) => t.comm === "eastwest-watch"), "no watcher when the agent runs normal");
    const latest = await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${collector.httpPort}/api/v1/latest?measurement=eastwest_agent&agent_id=normal-1`)).text();
      return text.includes("sched_idle") ? text : undefined;
    }, 20_000, "the agent's own point");
    assert.match(latest, /"sched_idle":false/);
  });

  it("without CAP_SYS_NICE the agent stays normal and says why", async () => {
    const agent = start(["agent", "--id", "nocap-1", "--collector", `127.0.0.1:${collector.grpcPort}`, "--log-level", "warn"], {
      prefix: ["setpriv", "--bounding-set", "-sys_nice", "--inh-caps", "-sys_nice"],
    });
    const threads = await connected(collector, "nocap-1", agent);
    assert.ok(threads.every((x) => x === SCHED_OTHER), String(threads));
    await waitFor(() => (/unavailable: no CAP_SYS_NICE/.test(agent.stderr()) ? true : undefined), 20_000, "the agent saying why it stays normal");
    assert.ok(threadPolicies(agent.pid).every((x) => x === SCHED_OTHER));
  });

  it("a config value other than idle or normal is refused before anything starts", async () => {
    const agent = start(["agent", "--id", "bad-1", "--collector", "127.0.0.1:9", "--scheduling", "batch"]);
    const code = await agent.exited;
    assert.notEqual(code, 0);
    assert.match(agent.stderr(), /scheduling/);
    const collectorProc = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "x.db"), "--scheduling", "fifo"]);
    assert.notEqual(await collectorProc.exited, 0);
    assert.match(collectorProc.stderr(), /scheduling/);
    assert.deepEqual(await getJson<unknown>(`http://127.0.0.1:${collector.httpPort}/api/v1/agents/bad-1`).catch(() => "absent"), "absent");
  });
});
