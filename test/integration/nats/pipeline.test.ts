// An agent process with transport nats -> JetStream -> a collector consuming
// from the durable consumer -> embedded store; Hello/Welcome and commands
// over NATS request/reply; the Welcome counts batches still in the stream.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CollectorMessage, Hello } from "@eastwest/proto";
import type { Collector } from "../../../collector/src/collector.ts";
import { ensureStream } from "../../../collector/src/ingest/nats-setup.ts";
import { streamHighestSeq } from "../../../collector/src/ingest/nats-hello.ts";
import { DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, helloSubject } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { HOST, natsCollectorConfig, Publisher, SITE, startNatsCollector } from "./fixtures.ts";

/** `collectors`: the collector ids whose commands the agent serves. */
function agentConfig(dir: string, id: string, natsUrl: string, collectors: string[] = []): string {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(
    file,
    [
      "agent:",
      `  id: ${id}`,
      "  intervalMs: 100",
      "  collector: { transport: nats, backoffMinMs: 50, backoffMaxMs: 300 }",
      `  nats: { servers: "${natsUrl}", site: ${SITE}, collectors: ${JSON.stringify(collectors)} }`,
      "  batch: { maxPoints: 200, maxDelayMs: 50 }",
      "  samplers:",
      "    netstate: { enabled: false }",
      "    tcpinfo: { enabled: false }",
      "",
    ].join("\n"),
  );
  return file;
}

const hello = (agentId: string): Hello => ({ agentId, role: 1, hostname: HOST, kernel: "k", machineUuid: "", netns: "", capabilities: [], agentVersion: "t", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined });

describe("nats: agent -> JetStream -> collector", function () {
  this.timeout(90_000);
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector | undefined;
  let pub: Publisher;

  beforeEach(async () => {
    nats = await startNatsServer();
    dir = tempDir("nats-pipeline");
    pub = await Publisher.connect(nats.url);
  });
  afterEach(async () => {
    await killAll();
    await collector?.stop();
    await collector?.stop(); // safe twice
    collector = undefined;
    await pub.close();
    await nats.stop();
    dir.remove();
  });

  it("stores an agent's samples and answers a command over NATS", async () => {
    collector = await startNatsCollector("col-p", join(dir.path, "store.db"), nats.url);
    const c = collector;
    start(["agent", "--config", agentConfig(dir.path, "ns1.lab", nats.url, ["col-p"]), "--log-level", "warn"]);
    const rows = await waitFor(async () => {
      const r = await c.store.latest({ measurement: "cpu", tags: { agent_id: "ns1.lab" } });
      return r.length > 0 ? r : undefined;
    }, 30_000, "cpu samples in the store");
    assert.ok(rows.some((r) => r.tags["cpu"] === "all"));
    const agent = await c.registry.get("ns1.lab");
    assert.ok(agent && agent.connected && agent.hostname !== "", "registered by its hello");
    assert.ok(agent.capabilities.some((cap) => cap.sampler === "netdev" && cap.available));
    const result = await c.sessions.command("ns1.lab", { $case: "setInterval", value: { sampler: "", intervalMs: 200, forMs: 1000 } }, 10_000);
    assert.equal(result.ok, true, result.error);
    const before = await c.store.highestSeq("ns1.lab");
    await waitFor(async () => ((await c.store.highestSeq("ns1.lab")) > before + 3n ? true : undefined), 30_000, "more batches");
    assert.deepEqual(await c.store.gaps("ns1.lab"), []);
    assert.equal(c.nats?.natsStats.termed, 0n);
  });

  it("collector down and agent killed: the stream keeps batches, a restarted agent numbers above them, no gaps", async () => {
    const storePath = join(dir.path, "store.db");
    const cfgFile = agentConfig(dir.path, "restarts", nats.url);
    let agent = start(["agent", "--config", cfgFile, "--log-level", "error"]);
    collector = await startNatsCollector("col-r1", storePath, nats.url);
    const first = collector;
    await waitFor(async () => ((await first.store.highestSeq("restarts")) >= 3n ? true : undefined), 30_000, "3 batches stored");
    await first.stop();
    const stored = await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "restarts");
    await waitFor(async () => ((await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "restarts")) >= stored + 3n ? true : undefined), 30_000, "batches in the stream while no collector runs");
    await agent.kill("SIGKILL");
    const inStream = await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "restarts");
    agent = start(["agent", "--config", cfgFile, "--log-level", "info"]);
    collector = await startNatsCollector("col-r2", storePath, nats.url);
    const second = collector;
    await waitFor(async () => ((await second.store.highestSeq("restarts")) >= inStream + 3n ? true : undefined), 30_000, "the restarted agent's batches stored");
    const welcome = agent.stderr().split("\n").find((l) => l.includes("connected to collectors over NATS"));
    assert.ok(welcome, "the restarted agent was welcomed");
    assert.ok(BigInt((JSON.parse(welcome) as { highestSeq: string }).highestSeq) >= inStream, "numbering continues above the stream's batches");
    assert.deepEqual(await second.store.gaps("restarts"), []);
    assert.equal(second.stats.batchesDuplicate, 0n);
  });

  it("the Welcome counts batches still waiting in the stream", async () => {
    const cfg = natsCollectorConfig("col-w", join(dir.path, "store.db"), nats.url);
    await ensureStream(pub.jsm, cfg.nats);
    await pub.publishRange("ns1.lab", 1, 7);
    await pub.publishRange("ns1_lab", 1, 3);
    assert.equal(await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "ns1.lab"), 7n);
    assert.equal(await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "ns1_lab"), 3n, "escaped tokens keep agent ids apart");
    assert.equal(await streamHighestSeq(pub.jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "nobody"), 0n);
    collector = await startNatsCollector("col-w", join(dir.path, "store.db"), nats.url);
    const subj = helloSubject({ prefix: DEFAULT_SUBJECT_PREFIX, site: SITE, host: HOST, agentId: "ns1.lab" });
    const reply = CollectorMessage.decode((await pub.nc.request(subj, Hello.encode(hello("ns1.lab")).finish(), { timeout: 5000 })).data);
    assert.equal(reply.msg?.$case, "welcome");
    assert.equal(reply.msg.value.highestSeq, 7n);
    const wrong = CollectorMessage.decode((await pub.nc.request(subj, Hello.encode(hello("other")).finish(), { timeout: 5000 })).data);
    assert.equal(wrong.msg?.$case, "error");
    assert.match(wrong.msg.value.reason, /does not match subject/);
  });
});
