// Sequence integrity over NATS JetStream on a real nats-server: batches carry
// their session's epoch (Eastwest-Epoch header, from the Welcome); a forged
// batch at seq 2^62, a sessionless one for an agent that has a session and a
// batch of an older session above where the newer one began are termed and
// stored nowhere; the agent's own batches around them are all stored.
import assert from "node:assert/strict";
import { join } from "node:path";
import { headers } from "@nats-io/transport-node";
import { Batch, CollectorMessage, Hello } from "@eastwest/proto";
import type { Collector } from "../../../collector/src/collector.ts";
import { DEFAULT_SUBJECT_PREFIX, EPOCH_HEADER, helloSubject, msgIdOf } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";
import { goodBatch, HOST, Publisher, SITE, startNatsCollector } from "./fixtures.ts";

const hello = (agentId: string, sessionId: string): Hello => ({ agentId, role: 1, hostname: HOST, kernel: "k", machineUuid: "", netns: "", capabilities: [], agentVersion: "t", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId, clock: undefined });

describe("nats: sequence integrity", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  let pub: Publisher;
  let collector: Collector;

  before(async () => {
    nats = await startNatsServer();
    dir = tempDir("nats-seq");
    pub = await Publisher.connect(nats.url);
    collector = await startNatsCollector("col-seq", join(dir.path, "store.db"), nats.url);
  });
  after(async () => {
    await collector.stop();
    await pub.close();
    await nats.stop();
    dir.remove();
  });

  async function welcome(agentId: string, sessionId: string): Promise<bigint> {
    const subj = helloSubject({ prefix: DEFAULT_SUBJECT_PREFIX, site: SITE, host: HOST, agentId });
    const m = CollectorMessage.decode((await pub.nc.request(subj, Hello.encode(hello(agentId, sessionId)).finish(), { timeout: 5000 })).data);
    assert.equal(m.msg?.$case, "welcome");
    return m.msg.value.epoch;
  }

  /** Publishes as the agent does, with the epoch header (none when epoch is undefined). */
  function publish(agentId: string, seq: bigint, epoch: bigint | undefined): Promise<unknown> {
    const h = headers();
    if (epoch !== undefined) h.set(EPOCH_HEADER, String(epoch));
    return pub.js.publish(pub.subject(agentId), Batch.encode(goodBatch(agentId, seq)).finish(), { msgID: msgIdOf(agentId, seq), headers: h });
  }

  const settled = (termed: bigint) => waitFor(async () => ((await pub.consumerIdle()) && collector.nats!.natsStats.termed === termed ? true : undefined), 20_000, `${termed} termed, every message settled`);

  it("a forged batch at seq 2^62 is termed and stored nowhere, with or without a session", async () => {
    await publish("lone", 2n ** 62n, undefined);
    const epoch = await welcome("agent-a", "conn-1");
    for (let s = 1n; s <= 3n; s++) await publish("agent-a", s, epoch);
    await publish("agent-a", 2n ** 62n, epoch);
    await publish("agent-a", 4n, epoch);
    await settled(2n);
    assert.equal(await collector.store.highestSeq("lone"), 0n);
    assert.equal(await collector.store.highestSeq("agent-a"), 4n, "the agent's own seqs after the forged one are stored");
    assert.deepEqual(await collector.store.gaps("agent-a"), []);
    assert.equal(collector.stats.batchesRefused, 2n);
  });

  it("sessionless and stale-session batches above the new session's start are termed; the current session's batches are stored", async () => {
    const refused = collector.stats.batchesRefused;
    const termed = collector.nats!.natsStats.termed;
    const e1 = await welcome("agent-b", "conn-1");
    assert.equal(await welcome("agent-b", "conn-1"), e1, "a periodic hello keeps the session");
    await publish("agent-b", 1n, e1);
    await publish("agent-b", 2n, e1);
    await waitFor(async () => ((await collector.store.highestSeq("agent-b")) === 2n ? true : undefined), 20_000, "seqs 1..2 stored");
    const e2 = await welcome("agent-b", "conn-2");
    assert.ok(e2 > e1, `a new connection's session: epoch ${e1} -> ${e2}`);
    await publish("agent-b", 3n, undefined);
    await publish("agent-b", 3n + 1n, e1);
    await publish("agent-b", 3n + 2n, e2 + 1n);
    await publish("agent-b", 3n + 3n, e2);
    await settled(termed + 3n);
    assert.equal(collector.stats.batchesRefused - refused, 3n);
    assert.equal(await collector.store.highestSeq("agent-b"), 6n);
    assert.deepEqual(await collector.store.gaps("agent-b"), [{ from: 3n, to: 5n }], "the refused seqs are missing as a gap, never a hole");
  });
});
