// A batch of samples as protobuf bytes (proto/eastwest/v1/telemetry.proto), encoded straight from the samples:
// encode() writes AgentMessage{batch: Batch} (a gRPC stream frame), encodeBatch() the Batch alone (a NATS
// message). The bytes are those ts-proto writes for the same batch of toWirePoint'ed points (held to that by
// the wire round-trip test), so a receiver cannot tell the difference. Values ts-proto refuses (an int64
// below -2^63, a seq outside uint64) throw its errors; a uint64 above 2^64-1 is clamped as toWireField does.
// A BatchEncoder is not reentrant; the returned Buffer is the caller's (copied out of the encoder's buffer).
//
// why: ts-proto first builds a wire object per field, then encodes every name afresh through a chunked
// writer; at 10 Hz that was about a tenth of the agent's CPU. Names and whole tag entries repeat every tick,
// so their bytes are made once and copied (byte-cache.ts).
import { ByteCache } from "./byte-cache.ts";
import {
  AGENT_MESSAGE_BATCH, BATCH_CREATED_NS, BATCH_POINTS, BATCH_SEQ, ENTRY_VALUE, NAME, POINT_FIELDS, POINT_TIME_NS, U64_MAX, VALUE_B, VALUE_F, VALUE_I, VALUE_S, VALUE_U,
} from "./keys.ts";
import type { FieldValue, Sample } from "./sample.ts";
import { delimited, EMPTY, putBytes, putVarint, varintSize, Writer } from "./writer.ts";

/**
 * Size of the FieldValue message of `v` when it is known without writing it: a double, a bool, an integer in
 * [0, 2^53) (`n`: its value as a number); undefined for other integers and strings (rare: lengths patched).
 */
function valueSize(v: FieldValue, n: number): number | undefined {
  switch (typeof v) {
    case "number":
      return 9;
    case "boolean":
      return 2;
    case "bigint":
      return n >= 0 && n <= Number.MAX_SAFE_INTEGER ? 1 + varintSize(n) : undefined;
    default:
      return undefined;
  }
}

/** One Point.fields entry: its key (cached bytes), then the FieldValue message. */
function field(w: Writer, key: Buffer, v: FieldValue): void {
  const n = typeof v === "bigint" ? Number(v) : 0;
  const size = valueSize(v, n);
  if (size === undefined) return fieldPatched(w, key, v as bigint | string);
  w.ensure(key.length + 16);
  const buf = w.buf;
  let pos = w.pos;
  buf[pos++] = POINT_FIELDS;
  pos = putVarint(buf, pos, key.length + 2 + size);
  pos = putBytes(buf, pos, key);
  buf[pos++] = ENTRY_VALUE;
  buf[pos++] = size;
  switch (typeof v) {
    case "number":
      buf[pos++] = VALUE_F;
      pos = buf.writeDoubleLE(v, pos);
      break;
    case "boolean":
      buf[pos++] = VALUE_B;
      buf[pos++] = v ? 1 : 0;
      break;
    default:
      buf[pos++] = VALUE_U;
      pos = putVarint(buf, pos, n);
  }
  w.pos = pos;
}

/** A field whose size is not known up front: written, then its lengths patched in. */
function fieldPatched(w: Writer, key: Buffer, v: bigint | string): void {
  const entry = w.open(POINT_FIELDS, 1);
  w.bytes(key);
  const value = w.open(ENTRY_VALUE, 1);
  if (typeof v === "bigint" && v < 0n) {
    w.byte(VALUE_I);
    w.int64(v, "message.value.value");
  } else if (typeof v === "bigint") {
    w.byte(VALUE_U);
    w.bigVarint(v > U64_MAX ? U64_MAX : v);
  } else {
    const text = Buffer.from(v, "utf8");
    w.byte(VALUE_S);
    w.varint(text.length);
    w.bytes(text);
  }
  w.close(value, 1);
  w.close(entry, 1);
}

/** AgentMessage{batch} around Batch bytes from encodeBatch (a batch encoded once, e.g. spooled, sent over gRPC). */
export function batchFrame(batch: Buffer): Buffer {
  return delimited(AGENT_MESSAGE_BATCH, batch);
}

/**
 * Batch bytes from encodeBatch with another seq, byte for byte what encodeBatch would write with it (the agent
 * renumbers a batch it already spooled). Relies on encodeBatch's order: agent_id (field 1, omitted when empty),
 * then seq (field 2, omitted when 0), then the rest.
 */
export function withSeq(batch: Buffer, seq: bigint): Buffer {
  if (seq < 0n || seq > U64_MAX) throw new Error("value provided for field message.seq of type uint64 too large");
  let pos = 0;
  if (batch[0] === NAME) {
    let length = 0;
    let shift = 1;
    pos = 1;
    for (;;) {
      const b = batch[pos++] as number;
      length += (b & 0x7f) * shift;
      shift *= 128;
      if (b < 128) break;
    }
    pos += length;
  }
  let rest = pos;
  if (batch[rest] === BATCH_SEQ) {
    rest += 1;
    while (((batch[rest++] as number) & 0x80) !== 0);
  }
  const w = new Writer(16);
  if (seq !== 0n) {
    w.byte(BATCH_SEQ);
    w.bigVarint(seq);
  }
  return Buffer.concat([batch.subarray(0, pos), w.take(), batch.subarray(rest)]);
}

/** Encodes batches for one transport; keeps its buffer and byte cache between batches. */
export class BatchEncoder {
  readonly #w = new Writer();
  readonly #cache = new ByteCache();
  #timeNs = 0n;
  #timeBytes: Buffer = EMPTY;

  /** AgentMessage{batch: {agentId, seq, points, createdNs}} as protobuf bytes. */
  encode(agentId: string, seq: bigint, points: readonly Sample[], createdNs: bigint): Buffer {
    const w = this.#w;
    w.pos = 0;
    const at = w.open(AGENT_MESSAGE_BATCH, 3);
    this.#batch(agentId, seq, points, createdNs);
    w.close(at, 3);
    return w.take();
  }

  /** Batch{agentId, seq, points, createdNs} as protobuf bytes. */
  encodeBatch(agentId: string, seq: bigint, points: readonly Sample[], createdNs: bigint): Buffer {
    this.#w.pos = 0;
    this.#batch(agentId, seq, points, createdNs);
    return this.#w.take();
  }

  #batch(agentId: string, seq: bigint, points: readonly Sample[], createdNs: bigint): void {
    const w = this.#w;
    w.bytes(this.#cache.name(agentId));
    if (seq !== 0n) {
      if (seq < 0n || seq > U64_MAX) throw new Error("value provided for field message.seq of type uint64 too large");
      w.byte(BATCH_SEQ);
      w.bigVarint(seq);
    }
    for (const p of points) this.#point(p);
    if (createdNs !== 0n) {
      w.byte(BATCH_CREATED_NS);
      w.int64(createdNs, "message.createdNs");
    }
  }

  #point(p: Sample): void {
    const w = this.#w;
    const cache = this.#cache;
    const at = w.open(BATCH_POINTS, 2);
    w.bytes(cache.name(p.measurement));
    const tags = cache.tagsOf(p.tags);
    if (tags !== undefined) w.bytes(tags);
    else for (const key in p.tags) w.bytes(cache.tag(key, p.tags[key] as string));
    for (const key in p.fields) field(w, cache.name(key), p.fields[key] as FieldValue);
    if (p.timeNs !== 0n) w.bytes(this.#time(p.timeNs));
    w.close(at, 2);
  }

  /** Point.time_ns, whole. why: the points of a batch mostly share their tick's time; made once per time. */
  #time(timeNs: bigint): Buffer {
    if (timeNs === this.#timeNs) return this.#timeBytes;
    const w = new Writer(16);
    w.byte(POINT_TIME_NS);
    w.int64(timeNs, "message.timeNs");
    this.#timeNs = timeNs;
    this.#timeBytes = w.take();
    return this.#timeBytes;
  }
}
