// The spool's on-disk record and segment scan (pure; spool.ts does the I/O).
//
// A segment is a sequence of records, each one write:
//   u32 LE payload length · u32 LE CRC-32 of bytes 8.. · u64 LE seq · u64 LE supersedes (0: none) · u32 LE points ·
//   payload (Batch protobuf bytes, exactly what the transports send, agent id and seq included).
// A record that supersedes seq s is the same batch renumbered (outbox.ts): s is no longer a batch of its own.
// A scan stops at the first record that is incomplete (a torn tail: the agent or the machine stopped mid-write) or
// whose length or CRC is wrong; everything before it is good, everything from it on is `tornAt`.
import { crc32 } from "node:zlib";

export const HEADER_BYTES = 28;
/** Larger than any batch a transport may send (gRPC's 64 MiB message limit). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const U64_MAX = (1n << 64n) - 1n;

export interface SpoolRecord {
  seq: bigint;
  /** Points in the batch (for the agent's buffered_points). */
  points: number;
  /** The seq this batch had before it was renumbered (0n or absent: none). */
  supersedes?: bigint;
  /** The Batch as protobuf bytes. */
  bytes: Buffer;
}

/** The header of `r`; written with the payload in one writev. */
export function recordHeader(r: SpoolRecord): Buffer {
  if (r.seq < 0n || r.seq > U64_MAX) throw new RangeError(`spool: seq ${r.seq} outside uint64`);
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(r.bytes.length, 0);
  h.writeBigUInt64LE(r.seq, 8);
  h.writeBigUInt64LE(r.supersedes ?? 0n, 16);
  h.writeUInt32LE(r.points >>> 0, 24);
  h.writeUInt32LE(crc32(r.bytes, crc32(h.subarray(8, HEADER_BYTES))), 4);
  return h;
}

/** One record as a single buffer (tests, and the scan's inverse). */
export function encodeRecord(r: SpoolRecord): Buffer {
  return Buffer.concat([recordHeader(r), r.bytes]);
}

export interface SegmentScan {
  records: SpoolRecord[];
  /** Offset of the first bad or incomplete record; undefined when the whole buffer is good. */
  tornAt: number | undefined;
  /** Why the scan stopped at tornAt. */
  why: string;
}

/** Every good record of a segment's bytes, in file order, up to the first bad one. Payloads are copies. */
export function scanSegment(buf: Buffer): SegmentScan {
  const records: SpoolRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const left = buf.length - pos;
    if (left < HEADER_BYTES) return { records, tornAt: pos, why: `incomplete header (${left} of ${HEADER_BYTES} bytes)` };
    const length = buf.readUInt32LE(pos);
    if (length > MAX_RECORD_BYTES) return { records, tornAt: pos, why: `record length ${length} over ${MAX_RECORD_BYTES}` };
    if (left < HEADER_BYTES + length) return { records, tornAt: pos, why: `incomplete record (${left - HEADER_BYTES} of ${length} payload bytes)` };
    const end = pos + HEADER_BYTES + length;
    if (crc32(buf.subarray(pos + 8, end)) !== buf.readUInt32LE(pos + 4)) return { records, tornAt: pos, why: "CRC mismatch" };
    const r: SpoolRecord = { seq: buf.readBigUInt64LE(pos + 8), points: buf.readUInt32LE(pos + 24), bytes: Buffer.from(buf.subarray(pos + HEADER_BYTES, end)) };
    const supersedes = buf.readBigUInt64LE(pos + 16);
    if (supersedes !== 0n) r.supersedes = supersedes;
    records.push(r);
    pos = end;
  }
  return { records, tornAt: undefined, why: "" };
}

/** A segment's file name: its first seq (20 digits, so names sort by seq) and a creation stamp (names stay unique). */
export function segmentName(firstSeq: bigint, stampMs: number): string {
  return `${firstSeq.toString().padStart(20, "0")}-${stampMs.toString().padStart(15, "0")}.seg`;
}

export const SEGMENT_NAME = /^\d{20}-\d{15}\.seg$/;

/**
 * The mark file: one fixed-width line rewritten in place (one pwrite): the acked mark, and whether a collector's
 * Welcome confirmed this spool's numbering ("c"; "u": numbered from the spool's knowledge alone).
 */
export interface Mark {
  acked: bigint;
  confirmed: boolean;
}

export function encodeMark(m: Mark): Buffer {
  return Buffer.from(`${m.acked.toString().padStart(20, "0")} ${m.confirmed ? "c" : "u"}\n`, "latin1");
}

/** The mark in a mark file's bytes; undefined when it is not one. */
export function decodeMark(buf: Buffer): Mark | undefined {
  const m = /^(\d{20}) ([cu])\n$/.exec(buf.toString("latin1"));
  return m ? { acked: BigInt(m[1] as string), confirmed: m[2] === "c" } : undefined;
}
