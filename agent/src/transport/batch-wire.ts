// A batch of samples as the bytes of AgentMessage{batch: Batch} (proto/eastwest/v1/telemetry.proto), encoded
// straight from the samples: the same bytes ts-proto writes for AgentMessage.encode of toWirePoint'ed points
// (held to that by a unit test), so the collector cannot tell the difference.
//
// why: ts-proto first builds a wire object per field, then encodes every name afresh through a chunked
// writer; at 10 Hz that was about a tenth of the agent's CPU. Names and whole tag entries repeat every tick,
// so their bytes are made once and copied.
import type { FieldValue, Sample } from "@eastwest/common";

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

// Field keys: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const AGENT_MESSAGE_BATCH = 0x12;
const BATCH_SEQ = 0x10;
const BATCH_POINTS = 0x1a;
const BATCH_CREATED_NS = 0x20;
const POINT_TAGS = 0x12;
const POINT_FIELDS = 0x1a;
const POINT_TIME_NS = 0x20;
/** Field 1 as a string: Batch.agent_id, Point.measurement and the key of a map entry (tags, fields). */
const NAME = 0x0a;
/** Field 2 of a map entry: its value. */
const ENTRY_VALUE = 0x12;
const VALUE_F = 0x09;
const VALUE_I = 0x10;
const VALUE_U = 0x18;
const VALUE_B = 0x20;
const VALUE_S = 0x2a;

/** Cached byte strings, at most; then the cache starts afresh (ever-new tag values, e.g. ephemeral ports). */
const MAX_CACHED = 4096;
const EMPTY = Buffer.alloc(0);

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size;
}

/** A varint below 2^53 into `buf` at `pos`; returns the position after it. */
function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Copies a short byte string into `buf` at `pos` (a loop: for names and tag entries, set() costs more than the copy). */
function putBytes(buf: Buffer, pos: number, b: Buffer): number {
  for (let i = 0; i < b.length; i++) buf[pos++] = b[i] as number;
  return pos;
}

/** A length-delimited field, whole: key, length, bytes. */
function delimited(key: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  out[0] = key;
  body.copy(out, putVarint(out, 1, body.length));
  return out;
}

/** The bytes of names (NAME fields) and of whole tag entries. */
class ByteCache {
  #names = new Map<string, Buffer>();
  #tags = new Map<string, Map<string, Buffer>>();
  #frozen = new WeakMap<object, Buffer>();
  #size = 0;

  // why: the lookups are hot and the misses cold; kept apart, the hot functions stay small to compile (the JIT's
  // work in an agent's first seconds is part of what it costs).

  /** `s` as field 1 (NAME); "" as nothing, as proto3 omits empty strings. */
  name(s: string): Buffer {
    return this.#names.get(s) ?? this.#newName(s);
  }

  /** A Point.tags entry, whole. */
  tag(key: string, value: string): Buffer {
    return this.#tags.get(key)?.get(value) ?? this.#newTag(key, value);
  }

  /**
   * All entries of a frozen tags object, whole (samplers share one frozen tags object per series between ticks);
   * undefined for other tags objects. why: one lookup per point instead of two per tag. Only frozen objects:
   * their entries cannot change after their bytes are made.
   */
  tagsOf(tags: Readonly<Record<string, string>>): Buffer | undefined {
    return this.#frozen.get(tags) ?? (Object.isFrozen(tags) ? this.#newTags(tags) : undefined);
  }

  #newTags(tags: Readonly<Record<string, string>>): Buffer {
    const bytes = Buffer.concat(Object.entries(tags).map(([key, value]) => this.tag(key, value)));
    this.#frozen.set(tags, bytes);
    return bytes;
  }

  #newName(s: string): Buffer {
    const bytes = s === "" ? EMPTY : delimited(NAME, Buffer.from(s, "utf8"));
    this.#remember();
    this.#names.set(s, bytes);
    return bytes;
  }

  #newTag(key: string, value: string): Buffer {
    const v = value === "" ? EMPTY : delimited(ENTRY_VALUE, Buffer.from(value, "utf8"));
    const bytes = delimited(POINT_TAGS, Buffer.concat([this.name(key), v]));
    this.#remember();
    let byValue = this.#tags.get(key);
    if (byValue === undefined) this.#tags.set(key, (byValue = new Map()));
    byValue.set(value, bytes);
    return bytes;
  }

  #remember(): void {
    if (++this.#size <= MAX_CACHED) return;
    this.#names.clear();
    this.#tags.clear();
    this.#frozen = new WeakMap();
    this.#size = 1;
  }
}

/** A growable buffer; points and the batch get their length patched in after their body. */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned integer below 2^53. */
  varint(n: number): void {
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  /** An unsigned integer below 2^64. */
  bigVarint(v: bigint): void {
    const n = Number(v);
    if (n <= Number.MAX_SAFE_INTEGER) return this.varint(n);
    // why: in two 32-bit halves, as bigint arithmetic per 7 bits is slow (time stamps are all this large).
    let lo = Number(v & 0xffffffffn);
    let hi = Number(v >> 32n);
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0 || lo >= 128) {
      buf[pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** int64 (a negative value as its 64-bit two's complement), or the error ts-proto throws. */
  int64(v: bigint, what: string): void {
    if (v < I64_MIN || v > I64_MAX) throw new Error(`value provided for field ${what} of type int64 too large`);
    this.bigVarint(v < 0n ? BigInt.asUintN(64, v) : v);
  }

  double(x: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos = putBytes(this.buf, this.pos, b);
  }

  /** Starts a length-delimited body after `key`, reserving `guess` bytes for its length; returns where. */
  open(key: number, guess: number): number {
    this.byte(key);
    this.ensure(guess);
    const at = this.pos;
    this.pos += guess;
    return at;
  }

  /** Ends the body opened at `at`: writes its length there, moving the body when the guess was wrong. */
  close(at: number, guess: number): void {
    const length = this.pos - at - guess;
    const size = varintSize(length);
    if (size !== guess) {
      this.ensure(size - guess);
      this.buf.copyWithin(at + size, at + guess, this.pos);
      this.pos += size - guess;
    }
    putVarint(this.buf, at, length);
  }

  /** The bytes written, copied (gRPC may still hold them while the next batch is encoded). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}

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
    w.close(at, 3);
    return w.take();
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
