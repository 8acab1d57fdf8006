// The ingest benchmark's reference: a trivial grpc-js server for the same
// Telemetry/Connect stream that decodes every frame (as the collector does)
// and acks it at once, storing nothing. Run as its own process:
//   node bench/ingest-reference-server.ts   -> prints {"grpc_port":N}
import { Server, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import { AckCode, AgentMessage, CollectorMessage, TelemetryService } from "@eastwest/proto";

const SERVICE = {
  connect: {
    ...TelemetryService.connect,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (m: CollectorMessage) => Buffer.from(CollectorMessage.encode(m).finish()),
  },
};

function connect(call: ServerDuplexStream<Buffer, CollectorMessage>): void {
  call.on("data", (buf: Buffer) => {
    const m = AgentMessage.decode(buf).msg;
    if (m?.$case === "hello") return void call.write({ msg: { $case: "welcome", value: { collectorId: "reference", highestSeq: 0n, epoch: 0n, receivedNs: 0n, sentNs: 0n, clockProbes: false, clock: undefined } } });
    if (m?.$case === "batch") {
      const b = m.value;
      return void call.write({ msg: { $case: "ack", value: { seq: b.seq, code: AckCode.ACK_CODE_STORED, reason: "", pointsStored: b.points.length } } });
    }
  });
  call.on("end", () => call.end());
  call.on("error", () => undefined);
}

const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
server.addService(SERVICE as never, { connect });
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ grpc_port: port })}\n`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
