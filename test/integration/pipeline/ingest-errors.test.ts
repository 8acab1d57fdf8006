// Bad input at the gRPC boundary: a clear INVALID_ARGUMENT, no crash, and
// nothing else on the stream is lost.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { AckCode, AgentMessage, CollectorMessage, TelemetryClient, type Ack, type Batch, type CollectorMessage as CM, type Hello } from "@eastwest/proto";
import { nowNs, silentLogger, toWirePoint } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";

function goodBatch(agentId: string, seq: bigint): Batch {
  const point = toWirePoint({ measurement: "eastwest_agent", tags: { agent_id: agentId }, fields: { buffered_batches: 1n, connected: true }, timeNs: nowNs() });
  return { agentId, seq, points: [point], createdNs: nowNs() };
}

const hello = (agentId: string): Hello => ({ agentId, role: 1, hostname: "h", kernel: "k", machineUuid: "", netns: "", capabilities: [], agentVersion: "t", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined });

describe("ingest: invalid batches and frames", function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let address: string;

  before(async () => {
    dir = tempDir("ingest");
    const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } });
    collector = new Collector(config, silentLogger());
    await collector.start();
    address = `127.0.0.1:${collector.grpcPort}`;
  });
  after(async () => {
    await collector.stop();
    await collector.stop(); // safe twice
    dir.remove();
  });

  it("Push: a malformed protobuf frame fails with INVALID_ARGUMENT and a reason", async () => {
    const raw = new Client(address, credentials.createInsecure());
    const err = await new Promise<ServiceError>((resolve) => {
      raw.makeUnaryRequest("/eastwest.v1.Telemetry/Push", (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]), new Metadata(), { deadline: Date.now() + 5000 }, (e) => resolve(e as ServiceError));
    });
    raw.close();
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /undecodable frame/);
  });

  it("Push: a schema violation fails with INVALID_ARGUMENT naming the field; a good batch is stored", async () => {
    const client = new TelemetryClient(address, credentials.createInsecure());
    const bad = goodBatch("push-agent", 1n);
    const p = bad.points[0];
    assert.ok(p);
    p.fields["buffered_batches"] = { value: { $case: "f", value: Number.NaN } };
    const push = (b: Batch) => new Promise<{ err: ServiceError | null; ack?: Ack }>((resolve) => client.push(b, new Metadata(), { deadline: Date.now() + 5000 }, (err, ack) => resolve({ err, ack })));
    const r1 = await push(bad);
    assert.equal(r1.err?.code, status.INVALID_ARGUMENT);
    assert.match(r1.err?.details ?? "", /buffered_batches is not finite/);
    const r2 = await push(goodBatch("push-agent", 2n));
    assert.equal(r2.err, null);
    assert.equal(r2.ack?.code, AckCode.ACK_CODE_STORED);
    const r3 = await push(goodBatch("push-agent", 2n));
    assert.equal(r3.ack?.code, AckCode.ACK_CODE_DUPLICATE, "a resend is acked as duplicate");
    client.close();
    assert.equal(await collector.store.highestSeq("push-agent"), 2n);
  });

  it("Connect: garbage frames and invalid batches are answered on the stream, which keeps working", async () => {
    const raw = new Client(address, credentials.createInsecure());
    const call = raw.makeBidiStreamRequest("/eastwest.v1.Telemetry/Connect", (b: Buffer) => b, (b: Buffer) => CollectorMessage.decode(b), new Metadata(), {});
    const got: CM[] = [];
    call.on("data", (m: CM) => got.push(m));
    const send = (m: AgentMessage) => call.write(Buffer.from(AgentMessage.encode(m).finish()));
    send({ msg: { $case: "hello", value: hello("stream-agent") } });
    await waitFor(() => (got.some((m) => m.msg?.$case === "welcome") ? true : undefined), 5000, "welcome");
    call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    const bad = goodBatch("stream-agent", 1n);
    bad.points[0]!.measurement = "Bad-Name";
    send({ msg: { $case: "batch", value: bad } });
    send({ msg: { $case: "batch", value: goodBatch("stream-agent", 2n) } });
    await waitFor(() => (got.filter((m) => m.msg?.$case === "ack").length >= 2 ? true : undefined), 5000, "two acks");
    const err = got.find((m) => m.msg?.$case === "error");
    assert.ok(err?.msg?.$case === "error" && err.msg.value.code === status.INVALID_ARGUMENT && /undecodable/.test(err.msg.value.reason));
    const acks = got.flatMap((m) => (m.msg?.$case === "ack" ? [m.msg.value] : []));
    assert.equal(acks.find((a) => a.seq === 1n)?.code, AckCode.ACK_CODE_INVALID);
    assert.match(acks.find((a) => a.seq === 1n)?.reason ?? "", /snake_case/);
    assert.equal(acks.find((a) => a.seq === 2n)?.code, AckCode.ACK_CODE_STORED);
    call.end();
    raw.close();
  });
});
