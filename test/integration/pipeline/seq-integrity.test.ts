// Sequence integrity over gRPC (collector/src/ingest/seq-guard.ts): a forged
// batch far ahead of an agent's seqs is refused and stored nowhere, and the
// real agent's later batches are all stored (no hole); a stream whose session
// a newer hello superseded is ended, its batch not stored.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { AckCode, AgentMessage, CollectorMessage, type Batch, type Hello } from "@eastwest/proto";
import { nowNs, silentLogger, toWirePoint } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";

const hello = (agentId: string): Hello => ({ agentId, role: 1, hostname: "h", kernel: "k", machineUuid: "", netns: "", capabilities: [], agentVersion: "t", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined });

function batch(agentId: string, seq: bigint): Batch {
  const point = toWirePoint({ measurement: "eastwest_agent", tags: { agent_id: agentId }, fields: { buffered_batches: 0n, connected: true }, timeNs: nowNs() });
  return { agentId, seq, points: [point], createdNs: nowNs() };
}

/** A raw Connect stream, as a forger (or a stale agent process) would open it. */
class RawStream {
  readonly got: CollectorMessage[] = [];
  readonly ended: Promise<ServiceError | undefined>;
  readonly #client: Client;
  readonly #call: ClientDuplexStream<Buffer, CollectorMessage>;

  constructor(address: string) {
    this.#client = new Client(address, credentials.createInsecure());
    this.#call = this.#client.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    this.#call.on("data", (m: CollectorMessage) => this.got.push(m));
    this.ended = new Promise((resolve) => {
      this.#call.on("error", (e: ServiceError) => resolve(e));
      this.#call.on("end", () => resolve(undefined));
    });
  }

  send(m: AgentMessage): void {
    this.#call.write(Buffer.from(AgentMessage.encode(m).finish()));
  }

  async welcome(agentId: string): Promise<bigint> {
    this.send({ msg: { $case: "hello", value: hello(agentId) } });
    const w = await waitFor(() => this.got.find((m) => m.msg?.$case === "welcome"), 5000, "welcome");
    return w.msg?.$case === "welcome" ? w.msg.value.epoch : -1n;
  }

  acks(): Array<{ seq: bigint; code: AckCode; reason: string }> {
    return this.got.flatMap((m) => (m.msg?.$case === "ack" ? [m.msg.value] : []));
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

describe("seq integrity over gRPC", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let address: string;

  beforeEach(async () => {
    dir = tempDir("seq-integrity");
    const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") }, limits: { maxSeqAhead: 1000 } } });
    collector = new Collector(config, silentLogger());
    await collector.start();
    address = `127.0.0.1:${collector.grpcPort}`;
  });
  afterEach(async () => {
    await killAll();
    await collector.stop();
    dir.remove();
  });

  it("forged batches far ahead are refused and stored nowhere; the real agent's later batches are all stored, no hole", async () => {
    const file = join(dir.path, "victim.yaml");
    writeFileSync(file, ["agent:", "  id: victim", "  intervalMs: 100", "  scheduling: normal", `  collector: { address: "${address}", backoffMinMs: 50, backoffMaxMs: 300 }`, "  batch: { maxPoints: 200, maxDelayMs: 50 }", "  samplers:", "    netstate: { enabled: false }", "    tcpinfo: { enabled: false }", ""].join("\n"));
    const victim = start(["agent", "--config", file, "--log-level", "warn"]);
    const before = await waitFor(async () => {
      const h = await collector.store.highestSeq("victim");
      return h >= 2n ? h : undefined;
    }, 30_000, "the agent's first batches stored");
    // why: without client certificates a newer hello replaces the live session, and the real agent takes it back
    // at its next reconnect; stopped meanwhile, it leaves the forger's stream open until its batches are answered.
    process.kill(victim.pid, "SIGSTOP");
    const forger = new RawStream(address);
    await forger.welcome("victim");
    const seqs = [before + 1001n + 10n, 2n ** 62n, 2n ** 63n - 1n];
    for (const seq of seqs) forger.send({ msg: { $case: "batch", value: batch("victim", seq) } });
    await waitFor(() => (forger.acks().length === seqs.length ? true : undefined), 5000, "the forged batches answered");
    process.kill(victim.pid, "SIGCONT");
    for (const a of forger.acks()) {
      assert.equal(a.code, AckCode.ACK_CODE_INVALID);
      assert.match(a.reason, /^refused \(seq-ahead\): seq \d+ is more than maxSeqAhead \(1000\) above/);
    }
    forger.close();
    const after = await waitFor(async () => {
      const h = await collector.store.highestSeq("victim");
      return h >= before + 3n ? h : undefined;
    }, 30_000, "the agent's later batches stored");
    assert.ok(after < before + 1000n, `highest ${after}: no forged seq stored`);
    assert.deepEqual(await collector.store.gaps("victim"), [], "every seq of the agent stored: no hole");
    assert.ok(collector.stats.batchesRefused >= BigInt(seqs.length), `refusals counted: ${collector.stats.batchesRefused}`);
  });

  it("a stream superseded by a newer hello of its agent is ended with ABORTED; its batch is not stored", async () => {
    const old = new RawStream(address);
    const current = new RawStream(address);
    const e1 = await old.welcome("twin");
    const e2 = await current.welcome("twin");
    assert.ok(e2 > e1, `epochs ${e1} < ${e2}`);
    old.send({ msg: { $case: "batch", value: batch("twin", 1n) } });
    const err = await old.ended;
    assert.equal(err?.code, status.ABORTED);
    // The newer hello closes the older session at once (control/sessions.ts); a batch that still reaches the older
    // stream is refused by its epoch (ingest/seq-guard.ts).
    assert.match(err?.details ?? "", /session epoch \d+ was superseded by epoch \d+|replaced by a newer session of the same agent/);
    current.send({ msg: { $case: "batch", value: batch("twin", 1n) } });
    await waitFor(() => (current.acks().length === 1 ? true : undefined), 5000, "the current session's ack");
    assert.equal(current.acks()[0]?.code, AckCode.ACK_CODE_STORED, "the seq was not taken by the stale stream");
    assert.ok(collector.stats.batchesRefused <= 1n, `refused ${collector.stats.batchesRefused}`);
    current.close();
  });
});
