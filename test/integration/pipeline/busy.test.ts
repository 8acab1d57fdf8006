// Busy notices end to end: a real agent streams to a real collector whose store cannot write for over three of the
// agent's ack deadlines (another connection holds the file's write lock). The collector tells the stream it is
// busy, the agent restarts its deadline instead of reconnecting, and once the lock goes every batch is stored once,
// without a gap.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { getJson, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import type { AgentDetail } from "./agent-spool.helpers.ts";

const ACK_TIMEOUT_MS = 1500;
const BUSY_NOTICE_MS = 300;
const LOCK_MS = 5000;

describe("busy notices: a collector whose store stalls keeps its agents' streams", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector | undefined;
  beforeEach(() => (dir = tempDir("busy")));
  afterEach(async () => {
    await killAll();
    await collector?.stop();
    collector = undefined;
    dir.remove();
  });

  it("the agent is told busy while the write lock is held, never reconnects for an overdue ack, and loses nothing", async () => {
    const store = join(dir.path, "s.db");
    const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0, busyNoticeMs: BUSY_NOTICE_MS }, http: { port: 0 }, store: { path: store } } });
    collector = new Collector(config, silentLogger());
    await collector.start();
    const agentFile = join(dir.path, "busy-a.yaml");
    writeFileSync(agentFile, [
      "agent:",
      "  id: busy-a",
      "  intervalMs: 100",
      `  collector: { address: "127.0.0.1:${collector.grpcPort}", ackTimeoutMs: ${ACK_TIMEOUT_MS}, backoffMinMs: 50, backoffMaxMs: 300 }`,
      "  batch: { maxPoints: 200, maxDelayMs: 50 }",
      "  samplers:",
      "    netstate: { enabled: false }",
      "    tcpinfo: { enabled: false }",
      "",
    ].join("\n"));
    const agent = start(["agent", "--config", agentFile, "--log-level", "info", "--scheduling", "normal"]);
    const http = `http://127.0.0.1:${collector.httpPort}`;
    const stored = async () => (await getJson<AgentDetail>(`${http}/api/v1/agents/busy-a`)).agent.highestSeq;
    await waitFor(async () => ((await stored()) >= 5 ? true : undefined), 30_000, "the agent's first batches stored");

    const lock = new DatabaseSync(store, { timeout: 5000 });
    lock.exec("BEGIN IMMEDIATE");
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const lockedAt = Date.now();
    let storedMeanwhile: bigint;
    try {
      // why the wait: a commit that ended just before the lock was taken still has its acks to send
      await sleep(500);
      const held = collector.stats.batchesStored;
      await sleep(LOCK_MS - 500);
      storedMeanwhile = collector.stats.batchesStored - held;
    } finally {
      lock.exec("ROLLBACK");
      lock.close();
    }
    const releasedAt = Date.now();
    assert.equal(storedMeanwhile, 0n, "nothing was stored while the lock was held");
    const before = await stored();
    // what the agent made meanwhile is stored once the lock goes, with no gap
    const made = Number(before) + 10;
    await waitFor(async () => ((await stored()) >= made ? true : undefined), 30_000, `seq ${made} stored`);
    const detail = await getJson<AgentDetail>(`${http}/api/v1/agents/busy-a`);
    assert.deepEqual(detail.gaps, [], "no gap");
    // why stop first: the agent's log is written in buffered chunks; its exit flushes them
    await agent.kill("SIGTERM");
    const lines = agent.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { time: number; msg: string });
    const at = (msg: string) => lines.filter((l) => l.msg.startsWith(msg)).map((l) => l.time);
    assert.deepEqual(at("ack overdue"), [], `no reconnect for an overdue ack in ${LOCK_MS} ms of a ${ACK_TIMEOUT_MS} ms deadline`);
    assert.equal(at("connected to collector").length, 1, "one stream throughout");
    // a first commit may be slow enough for a notice too; one must come while the lock is held
    assert.ok(at("collector busy").some((t) => t >= lockedAt && t <= releasedAt), `told busy while the lock was held (${lockedAt}..${releasedAt}): ${at("collector busy").join(", ")}`);
    assert.ok(at("collector acking again").some((t) => t >= lockedAt), "acking again after it");
  });
});
