// Ingest flow control (collector/src/ingest/ingestor.ts, grpc.ts) on a real collector and embedded store: while
// the store cannot write (another connection holds the file's write lock, as a backup or an sqlite3 shell would),
// the points the collector holds stay within maxQueuedPoints plus one batch per stream, the streams that delivered
// past it are paused and counted, a unary Push is told to retry, and once the lock goes every batch is stored once.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Client, credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { AckCode, CollectorMessage } from "@eastwest/proto";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { HOST_POINTS, HostEncoder } from "../../bench/fleet-load.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";

const HOSTS = 5;
const BATCHES = 10;
const MAX_QUEUED = 1000;

/** One simulated host's stream: hello, then batches; its acks by code. */
class Host {
  readonly enc: HostEncoder;
  readonly acks: AckCode[] = [];
  welcomed = false;
  failed: string | undefined;
  readonly #client: Client;
  readonly #call: ClientDuplexStream<Buffer, CollectorMessage>;

  constructor(address: string, id: string, baseNs: bigint) {
    this.enc = new HostEncoder(id, baseNs);
    this.#client = new Client(address, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    this.#call = this.#client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    this.#call.on("error", (e: Error) => (this.failed ??= e.message));
    this.#call.on("data", (m: CollectorMessage) => {
      if (m.msg?.$case === "welcome") this.welcomed = true;
      if (m.msg?.$case === "ack") this.acks.push(m.msg.value.code);
    });
    this.#call.write(this.enc.hello());
  }

  send(seq: bigint): void {
    this.#call.write(this.enc.encode(seq));
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

describe("ingest flow control: a store that cannot keep up pauses the streams, bounded, and loses nothing", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let hosts: Host[] = [];

  beforeEach(async () => {
    dir = tempDir("flow-control");
    const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") }, maxQueuedPoints: MAX_QUEUED } });
    collector = new Collector(config, silentLogger());
    await collector.start();
  });
  afterEach(async () => {
    for (const h of hosts) h.close();
    hosts = [];
    await collector.stop();
    dir.remove();
  });

  it("holds at most maxQueuedPoints plus a batch per stream while the write lock is taken, then stores every batch once", async () => {
    const address = `127.0.0.1:${collector.grpcPort}`;
    const baseNs = BigInt(Date.now()) * 1_000_000n;
    hosts = Array.from({ length: HOSTS }, (_, i) => new Host(address, `flow-${i}`, baseNs));
    await waitFor(() => hosts.every((h) => h.welcomed) || undefined, 20_000, "every host welcomed");

    const lock = new DatabaseSync(join(dir.path, "s.db"), { timeout: 5000 });
    lock.exec("BEGIN IMMEDIATE");
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, Number(collector.stats.queuedPoints))), 1);
    let pushed: ServiceError | undefined | "ok";
    try {
      for (let seq = 1n; seq <= BigInt(BATCHES); seq++) for (const h of hosts) h.send(seq);
      await waitFor(() => collector.stats.streamsPaused > 0n || undefined, 10_000, "a stream paused");
      most = Math.max(most, Number(collector.stats.queuedPoints));
      pushed = await push(address, hosts[0] as Host);
    } finally {
      clearInterval(sample);
      lock.exec("ROLLBACK");
      lock.close();
    }

    const bound = MAX_QUEUED + HOSTS * HOST_POINTS;
    assert.ok(most >= MAX_QUEUED, `the queue reached its bound (most ${most})`);
    assert.ok(most <= bound, `points held ${most}, bound ${bound} (maxQueuedPoints + one batch per stream)`);
    assert.equal(pushed !== "ok" && pushed?.code, status.UNAVAILABLE, `a unary Push while full is told to retry (${pushed === "ok" ? "ok" : pushed?.details})`);

    await waitFor(() => hosts.every((h) => h.acks.length === BATCHES) || undefined, 30_000, "every batch acked");
    for (const h of hosts) {
      assert.equal(h.failed, undefined);
      assert.deepEqual(h.acks, Array(BATCHES).fill(AckCode.ACK_CODE_STORED));
    }
    assert.equal(collector.stats.batchesStored, BigInt(HOSTS * BATCHES));
    assert.equal(collector.stats.pointsStored, BigInt(HOSTS * BATCHES * HOST_POINTS));
    assert.equal(collector.stats.batchesDuplicate, 0n);
    assert.ok(collector.stats.streamsPaused >= 1n && collector.stats.streamsPaused <= BigInt(HOSTS * BATCHES), `paused ${collector.stats.streamsPaused}`);
    assert.equal(collector.stats.queuedPoints, 0n, "nothing left in the pipeline");
  });
});

/** One unary Push of a batch (of another agent id); "ok" or the error it was answered with. */
function push(address: string, h: Host): Promise<ServiceError | "ok"> {
  const client = new Client(address, credentials.createInsecure());
  const body = h.enc.batch(1n);
  return new Promise((resolve) => {
    client.makeUnaryRequest("/eastwest.v1.Telemetry/Push", (b: Buffer) => b, (b: Buffer) => b, body, (err) => {
      client.close();
      resolve(err ?? "ok");
    });
  });
}
