// Collectors sharing one durable JetStream pull consumer on a real nats-server:
// load shared, nothing stored twice, nothing missed; dedup by Nats-Msg-Id;
// a killed collector's unacked batches go to another; bad messages termed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import type { Collector } from "../../../collector/src/collector.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { Store } from "../../../collector/src/store/types.ts";
import { StorageType } from "@nats-io/jetstream";
import { ensureConsumer, ensureStream, NatsSetupError } from "../../../collector/src/ingest/nats-setup.ts";
import { DEFAULT_STREAM } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { getJson, jsonLine, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { goodBatch, natsCollectorConfig, Publisher, startNatsCollector } from "./fixtures.ts";

describe("nats: collectors sharing the durable consumer", function () {
  this.timeout(90_000);
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  let pub: Publisher;
  let collectors: Collector[];
  let storePath: string;

  beforeEach(async () => {
    nats = await startNatsServer();
    dir = tempDir("nats-consumers");
    storePath = join(dir.path, "store.db");
    pub = await Publisher.connect(nats.url);
    collectors = [];
  });
  afterEach(async () => {
    for (const c of collectors) await c.stop();
    await pub.close();
    await killAll();
    await nats.stop();
    dir.remove();
  });

  const run = async (id: string, nats2: Record<string, unknown> = {}, store?: Store): Promise<Collector> => {
    const c = await startNatsCollector(id, storePath, nats.url, nats2, store);
    collectors.push(c);
    return c;
  };

  async function storedAll(c: Collector, agentId: string, n: number): Promise<true | undefined> {
    const [highest, gaps] = await Promise.all([c.store.highestSeq(agentId), c.store.gaps(agentId)]);
    return highest === BigInt(n) && gaps.length === 0 ? true : undefined;
  }

  it("two collectors share the load: N batches stored exactly once, no gaps", async () => {
    const N = 400;
    // why: the embedded store caches interned ids per connection, so one file takes one writer; the collectors share it.
    const store = new EmbeddedStore(storePath);
    const [a, b] = [await run("col-a", { fetchBatch: 8, maxInFlight: 8 }, store), await run("col-b", { fetchBatch: 8, maxInFlight: 8 }, store)];
    await pub.publishRange("shared", 1, N, 16);
    await waitFor(() => storedAll(a, "shared", N), 60_000, `${N} batches stored`);
    await waitFor(() => pub.consumerIdle(), 30_000, "consumer idle");
    const stored = [a, b].map((c) => c.stats.batchesStored);
    assert.ok(stored.every((s) => s > 0n), `both collectors stored batches: ${stored.join(", ")}`);
    assert.equal(stored[0]! + stored[1]!, BigInt(N), "each batch stored by exactly one collector");
    assert.equal(a.stats.batchesDuplicate + b.stats.batchesDuplicate, 0n, "no batch handled twice");
    assert.equal(a.nats!.natsStats.acked + b.nats!.natsStats.acked, BigInt(N));
    assert.deepEqual(await b.store.gaps("shared"), []);
  });

  it("dedup: the same agent:seq published twice is one stream message, stored once", async () => {
    const c = await run("col-d");
    const first = await pub.publishBatch(goodBatch("dup", 1n));
    const again = await pub.publishBatch(goodBatch("dup", 1n));
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq, "the repeat names the stored message");
    const si = await pub.jsm.streams.info(DEFAULT_STREAM);
    assert.equal(si.state.messages, 1);
    await waitFor(() => storedAll(c, "dup", 1), 20_000, "batch stored");
    await waitFor(() => pub.consumerIdle(), 20_000, "consumer idle");
    assert.equal(c.nats!.natsStats.messages, 1n);
    assert.equal(c.stats.batchesStored, 1n);
    assert.equal(c.stats.batchesDuplicate, 0n);
  });

  it("a collector killed mid-stream: its unacked batches are redelivered to another, nothing missed", async () => {
    const N = 1500;
    const cfg = natsCollectorConfig("col-k", storePath, nats.url, { fetchBatch: 4, maxInFlight: 2 });
    await ensureStream(pub.jsm, cfg.nats);
    await ensureConsumer(pub.jsm, cfg.nats);
    await pub.publishRange("killed", 1, N);
    const file = join(dir.path, "col-k.json");
    writeFileSync(file, JSON.stringify({ collector: { ...cfg, grpc: { host: "127.0.0.1", port: 0 }, http: { host: "127.0.0.1", port: 0 }, logLevel: "error" } }));
    const victim = start(["collector", "--config", file]);
    const ports = await jsonLine<{ http_port: number }>(victim);
    const seqAt = async () => (await getJson<{ agent: { highestSeq: number } }>(`http://127.0.0.1:${ports.http_port}/api/v1/agents/killed`)).agent.highestSeq;
    await waitFor(async () => ((await seqAt()) >= 50 ? true : undefined), 30_000, "the victim stored 50 batches");
    const ackPending = (await pub.consumer()).num_ack_pending;
    await victim.kill("SIGKILL");
    const heir = await run("col-heir");
    await waitFor(() => storedAll(heir, "killed", N), 60_000, `${N} batches stored`);
    await waitFor(() => pub.consumerIdle(), 30_000, "consumer idle");
    assert.ok(ackPending > 0, "the victim held unacked batches when killed");
    assert.ok(heir.nats!.natsStats.redelivered > 0n, "the victim's unacked batches were redelivered to the heir");
    assert.ok(heir.stats.batchesStored < BigInt(N), "the victim's stored batches were not stored again");
    assert.deepEqual(await heir.store.gaps("killed"), []);
  });

  it("setup: ensure is idempotent, follows config changes, refuses a memory stream", async () => {
    const cfg = natsCollectorConfig("col-s", storePath, nats.url).nats;
    await Promise.all([ensureStream(pub.jsm, cfg), ensureStream(pub.jsm, cfg)]);
    await Promise.all([ensureConsumer(pub.jsm, cfg), ensureConsumer(pub.jsm, cfg)]);
    const changed = { ...cfg, maxAgeMs: 3_600_000, ackWaitMs: 5000 };
    await ensureStream(pub.jsm, changed);
    await ensureConsumer(pub.jsm, changed);
    assert.equal((await pub.jsm.streams.info(DEFAULT_STREAM)).config.max_age, 3_600_000_000_000);
    assert.equal((await pub.consumer()).config.ack_wait, 5_000_000_000);
    const mem = { ...cfg, stream: "MEMORY_BATCHES", subjectPrefix: "mem.v1" };
    await pub.jsm.streams.add({ name: mem.stream, subjects: ["mem.v1.batch.>"], storage: StorageType.Memory });
    await assert.rejects(ensureStream(pub.jsm, mem), (e: unknown) => e instanceof NatsSetupError && /file storage/.test(e.message));
  });

  it("undecodable, invalid and mis-addressed messages are termed and counted; the rest is stored", async () => {
    const c = await run("col-t");
    await pub.publishRange("good", 1, 5);
    await pub.publishRaw("good", new Uint8Array([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]), "garbage:1");
    const invalid = goodBatch("bad", 1n);
    invalid.points[0]!.fields["buffered_batches"] = { value: { $case: "f", value: Number.NaN } };
    await pub.publishBatch(invalid);
    await pub.publishBatch(goodBatch("someone-else", 1n), pub.subject("good"));
    await pub.publishRange("good", 6, 10);
    await waitFor(() => storedAll(c, "good", 10), 20_000, "the good batches stored");
    await waitFor(() => pub.consumerIdle(), 20_000, "every message settled (termed ones included)");
    const s = c.nats!.natsStats;
    assert.equal(s.termed, 3n);
    assert.equal(s.acked, 10n);
    assert.equal(s.redelivered, 0n, "a termed message is not redelivered");
    assert.equal(c.stats.framesUndecodable, 1n);
    assert.equal(c.stats.batchesRejected, 1n);
    assert.equal(await c.store.highestSeq("someone-else"), 0n);
    assert.equal(await c.store.highestSeq("bad"), 0n);
  });
});
