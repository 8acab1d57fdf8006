// The fast protobuf codec for one message, Batch (and the AgentMessage frame around it), hand-written for the
// hot paths and held to the generated ts-proto code by the wire round-trip test:
//   encode.ts   samples -> AgentMessage{batch} or Batch bytes (agent: gRPC and NATS)
//   decode.ts   Batch bytes -> samples with shape and series keys (collector: gRPC and NATS)
//   reader.ts   the wire reader and name interner under decode.ts
// Everything else on the wire (Hello, commands, acks) goes through the generated code (../gen).
export type { FieldValue, Sample } from "./sample.ts";
export { batchFrame, BatchEncoder, withSeq } from "./encode.ts";
export { agentMessageBatch, decodeBatch, type DecodedBatch, type DecodeLimits, type DecodeProblem } from "./decode.ts";
export { DecodeError } from "./reader.ts";
export { parseShape, type Shape } from "./point-keys.ts";
