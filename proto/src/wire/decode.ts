// A single-pass decoder for the collector's hot path (gRPC frames and NATS messages alike): AgentMessage{batch} and
// Batch frames straight to samples. Where it succeeds it reads what the generated ts-proto code reads (unknown
// fields and known fields of the wrong wire type are skipped; of a repeated scalar or FieldValue the last wins);
// what the two would read differently is refused: field 0 and group tags throw DecodeError, "__proto__" keys and
// values that are not valid UTF-8 are value problems, and validation refuses map keys repeated in a point (its
// shape key lists them twice) (test/unit/wire/agreement.test.ts).
// It builds no map entry objects and no FieldValue wrappers, reads repeated names through an interner, and gives
// each point its shape and series keys (point-keys.ts) so that validation checks names and the schema once per
// shape and the store encodes a tag set once per series. Value problems (no value, non-finite float, over-long
// strings, the above) are collected, not thrown: validation reports them with every other reason. A frame that is
// not valid protobuf throws DecodeError.
import { hashIds, KeyTable } from "./point-keys.ts";
import { DecodeError, EMPTY_NAME, INTERNER, Reader, WIRE_I64, WIRE_LEN, WIRE_VARINT, type Name } from "./reader.ts";
import type { FieldValue, Sample } from "./sample.ts";

/** A value problem found while decoding: point index and text without the "point i" prefix. */
export interface DecodeProblem {
  point: number;
  text: string;
}

export interface DecodedBatch {
  agentId: string;
  seq: bigint;
  createdNs: bigint;
  points: Sample[];
  /** Per point, its shape key: equal keys, equal measurement, tag keys, field names and types in the same order. */
  shapes: string[];
  /** Per point, its series key: equal keys, equal measurement and tag set. */
  series: string[];
  problems: DecodeProblem[];
}

/** Limits applied while decoding (value checks that need the raw value). */
export interface DecodeLimits {
  maxTagValueLength: number;
  maxStringFieldLength: number;
}

const PROTO_KEY = "__proto__";
/** Field types by code; code 0 is a field whose FieldValue has no value set. */
const TYPE_LETTER = ["-", "f", "i", "u", "b", "s"] as const;
/** Points with more names than this are keyed without the id tables. */
const MAX_IDS = 2048;

const SHAPES = new KeyTable();
const SERIES = new KeyTable();

/** A name as problem texts show it: at most 64 characters. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

/**
 * Sets an own entry. "__proto__" is a problem: the generated decoder drops it (or sets the prototype), so the two
 * would read the point differently. (A key repeated in one map is seen once per shape, by validation.)
 */
function putOwn<T>(obj: Record<string, T>, key: string, value: T, what: string, point: number, problems: DecodeProblem[]): void {
  if (key !== PROTO_KEY) return void (obj[key] = value);
  problems.push({ point, text: `${what} name __proto__ is reserved` });
  // why: plain assignment of "__proto__" would set the prototype instead of an entry.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

class PointDecoder {
  readonly #r: Reader;
  readonly #limits: DecodeLimits;
  // The names of the point being decoded (tags: key, value, key, value ...) and, for
  // prediction, those of the previous point: the same position usually holds the same name.
  #tags: Name[] = [];
  #fields: Name[] = [];
  #prevTags: Name[] = [];
  #prevFields: Name[] = [];
  #prevMeasurement: Name = EMPTY_NAME;
  readonly #types: number[] = [];
  readonly #ids = new Int32Array(MAX_IDS);
  // The last FieldValue read: value and type code.
  #v: FieldValue | undefined;
  #t = 0;
  #utf8 = true;

  constructor(r: Reader, limits: DecodeLimits) {
    this.#r = r;
    this.#limits = limits;
  }

  decode(end: number, index: number, problems: DecodeProblem[], out: DecodedBatch): void {
    const r = this.#r;
    let measurement = EMPTY_NAME;
    let timeNs = 0n;
    let tn = 0;
    let fn = 0;
    const tags: Record<string, string> = {};
    const fields: Record<string, FieldValue> = {};
    while (r.pos < end) {
      const tag = r.tag(end);
      const wire = tag & 7;
      const field = tag >>> 3;
      if (field === 1 && wire === WIRE_LEN) {
        measurement = r.name(r.len(end), this.#prevMeasurement);
      } else if (field === 2 && wire === WIRE_LEN) {
        this.#tag(r.len(end), 2 * tn++, tags, index, problems);
      } else if (field === 3 && wire === WIRE_LEN) {
        this.#field(r.len(end), fn++, fields, index, problems);
      } else if (field === 4 && wire === WIRE_VARINT) {
        r.varint(end);
        timeNs = r.i64();
      } else {
        r.skip(wire, end);
      }
    }
    out.points.push({ measurement: measurement.s, tags, fields, timeNs });
    out.shapes.push(this.#shapeKey(measurement, tn, fn));
    out.series.push(this.#seriesKey(measurement, tn));
    this.#prevMeasurement = measurement;
    [this.#prevTags, this.#tags] = [this.#tags, this.#prevTags];
    [this.#prevFields, this.#fields] = [this.#fields, this.#prevFields];
  }

  /** One tags map entry, at position at of the tag names. */
  #tag(end: number, at: number, tags: Record<string, string>, index: number, problems: DecodeProblem[]): void {
    const r = this.#r;
    let key = EMPTY_NAME;
    let value = EMPTY_NAME;
    while (r.pos < end) {
      const tag = r.tag(end);
      const wire = tag & 7;
      const field = tag >>> 3;
      if (field === 1 && wire === WIRE_LEN) key = r.name(r.len(end), this.#prevTags[at]);
      else if (field === 2 && wire === WIRE_LEN) value = r.name(r.len(end), this.#prevTags[at + 1]);
      else r.skip(wire, end);
    }
    this.#tags[at] = key;
    this.#tags[at + 1] = value;
    if (value.s.length > this.#limits.maxTagValueLength) problems.push({ point: index, text: `limit maxTagValueLength: tag ${clip(key.s)} longer than ${this.#limits.maxTagValueLength}` });
    if (!value.utf8) problems.push({ point: index, text: `tag ${clip(key.s)} is not valid UTF-8` });
    putOwn(tags, key.s, value.s, "tag", index, problems);
  }

  /** One fields map entry, at position at of the field names. */
  #field(end: number, at: number, fields: Record<string, FieldValue>, index: number, problems: DecodeProblem[]): void {
    const r = this.#r;
    let key = EMPTY_NAME;
    this.#v = undefined;
    this.#t = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      const wire = tag & 7;
      const field = tag >>> 3;
      if (field === 1 && wire === WIRE_LEN) key = r.name(r.len(end), this.#prevFields[at]);
      else if (field === 2 && wire === WIRE_LEN) this.#value(r.len(end));
      else r.skip(wire, end);
    }
    this.#fields[at] = key;
    this.#types[at] = this.#t;
    const v = this.#v;
    if (v === undefined) return void problems.push({ point: index, text: `field ${clip(key.s)} has no value` });
    if (this.#t === 1 && !Number.isFinite(v)) problems.push({ point: index, text: `field ${clip(key.s)} is not finite` });
    else if (this.#t === 5) this.#checkString(key.s, v as string, index, problems);
    putOwn(fields, key.s, v, "field", index, problems);
  }

  #checkString(key: string, v: string, index: number, problems: DecodeProblem[]): void {
    const max = this.#limits.maxStringFieldLength;
    if (v.length > max) problems.push({ point: index, text: `limit maxStringFieldLength: field ${clip(key)} longer than ${max}` });
    else if (!this.#utf8) problems.push({ point: index, text: `field ${clip(key)} is not valid UTF-8` });
  }

  /**
   * A FieldValue message: oneof double f = 1, int64 i = 2, uint64 u = 3, bool b = 4, string s = 5. A second
   * FieldValue in one entry replaces the first whole, as in the generated decoder.
   */
  #value(end: number): void {
    const r = this.#r;
    this.#v = undefined;
    this.#t = 0;
    this.#utf8 = true;
    while (r.pos < end) {
      const tag = r.tag(end);
      const wire = tag & 7;
      const field = tag >>> 3;
      if (field === 1 && wire === WIRE_I64) {
        this.#v = r.double(end);
        this.#t = 1;
      } else if (field >= 2 && field <= 4 && wire === WIRE_VARINT) {
        r.varint(end);
        this.#v = field === 2 ? r.i64() : field === 3 ? r.u64() : r.lo !== 0 || r.hi !== 0;
        this.#t = field;
      } else if (field === 5 && wire === WIRE_LEN) {
        const n = r.name(r.len(end));
        this.#v = n.s;
        this.#utf8 = n.utf8;
        this.#t = 5;
      } else {
        r.skip(wire, end);
      }
    }
  }

  #idOf(name: Name): number {
    return name.gen === INTERNER.generation ? name.id : 0;
  }

  /** ids: measurement, tag count, tag keys, then (field name, type code + 1) pairs; 0 when a name has no current id. */
  #shapeKey(m: Name, tn: number, fn: number): string {
    const tags = this.#tags;
    const fields = this.#fields;
    const types = this.#types;
    const ids = this.#ids;
    const n = 2 + tn + 2 * fn;
    let ok = n <= MAX_IDS && (ids[0] = this.#idOf(m)) > 0;
    if (ok) ids[1] = tn;
    for (let i = 0; ok && i < tn; i++) ok = (ids[2 + i] = this.#idOf(tags[2 * i] as Name)) > 0;
    for (let i = 0, j = 2 + tn; ok && i < fn; i++, j += 2) {
      ok = (ids[j] = this.#idOf(fields[i] as Name)) > 0;
      ids[j + 1] = (types[i] as number) + 1;
    }
    const hash = ok ? hashIds(ids, n) : 0;
    const found = ok ? SHAPES.find(ids, n, hash) : undefined;
    if (found !== undefined) return found;
    let key = m.piece + "T";
    for (let i = 0; i < tn; i++) key += (tags[2 * i] as Name).piece;
    key += "F";
    for (let i = 0; i < fn; i++) key += (fields[i] as Name).piece + TYPE_LETTER[types[i] as number];
    if (ok) SHAPES.add(ids, n, hash, key);
    return key;
  }

  /** ids: measurement, then tag key and value pairs. */
  #seriesKey(m: Name, tn: number): string {
    const tags = this.#tags;
    const ids = this.#ids;
    const n = 1 + 2 * tn;
    let ok = n <= MAX_IDS && (ids[0] = this.#idOf(m)) > 0;
    for (let i = 0; ok && i < 2 * tn; i++) ok = (ids[1 + i] = this.#idOf(tags[i] as Name)) > 0;
    const hash = ok ? hashIds(ids, n) : 0;
    const found = ok ? SERIES.find(ids, n, hash) : undefined;
    if (found !== undefined) return found;
    let key = m.piece + "T";
    for (let i = 0; i < 2 * tn; i++) key += (tags[i] as Name).piece;
    if (ok) SERIES.add(ids, n, hash, key);
    return key;
  }
}

/** Decodes a Batch message occupying buf[start, end). */
export function decodeBatch(buf: Buffer, limits: DecodeLimits, start = 0, end = buf.length): DecodedBatch {
  const r = new Reader(buf, start);
  const out: DecodedBatch = { agentId: "", seq: 0n, createdNs: 0n, points: [], shapes: [], series: [], problems: [] };
  const points = new PointDecoder(r, limits);
  while (r.pos < end) {
    const tag = r.tag(end);
    const wire = tag & 7;
    const field = tag >>> 3;
    if (field === 1 && wire === WIRE_LEN) {
      out.agentId = r.name(r.len(end)).s;
    } else if (field === 2 && wire === WIRE_VARINT) {
      r.varint(end);
      out.seq = r.u64();
    } else if (field === 3 && wire === WIRE_LEN) {
      points.decode(r.len(end), out.points.length, out.problems, out);
    } else if (field === 4 && wire === WIRE_VARINT) {
      r.varint(end);
      out.createdNs = r.i64();
    } else {
      r.skip(wire, end);
    }
  }
  return out;
}

/**
 * Where the batch of an AgentMessage frame lies: [start, end) of its `batch` (field 2), or undefined when the
 * frame holds a hello, a result, a clock probe or nothing (decode those with the generated code). A frame with more than one of
 * them throws DecodeError: no agent sends one, and which of them counts (the oneof's last) is where decoders differ.
 */
/** AgentMessage's oneof fields are 1 (hello) to this (4, clock_probe); a new one must raise it. */
const AGENT_MESSAGE_LAST_FIELD = 4;

export function agentMessageBatch(buf: Buffer): { start: number; end: number } | undefined {
  const r = new Reader(buf, 0);
  let found: { start: number; end: number } | undefined;
  let messages = 0;
  while (r.pos < buf.length) {
    const tag = r.tag(buf.length);
    const wire = tag & 7;
    const field = tag >>> 3;
    if (wire === WIRE_LEN && field >= 1 && field <= AGENT_MESSAGE_LAST_FIELD) {
      if (++messages > 1) throw new DecodeError(`more than one message in one frame (field ${field} at offset ${r.pos})`);
      const stop = r.len(buf.length);
      if (field === 2) found = { start: r.pos, end: stop };
      r.pos = stop;
    } else {
      r.skip(wire, buf.length);
    }
  }
  return found;
}
