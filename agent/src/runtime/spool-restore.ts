// Reading an agent's spool directory at start: its segments (spool-format.ts) and its acked mark.
//
// Contract: never throws. A torn or corrupt record ends its segment's good part: the file is truncated there
// (reported in `torn`), the records before it and every other segment are kept. A segment or mark that cannot
// be read is reported in `problems` and skipped. `records` are the batches never acked (seq above the mark),
// one per seq, by seq, without those a later record supersedes (renumbered); `highest` is the highest seq this agent numbered as far as the directory knows (its
// records and its mark), undefined for a directory that knows none (a first start: the collector's Welcome
// numbers the first batches).
import { readdirSync, readFileSync, truncateSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "@eastwest/common";
import { decodeMark, SEGMENT_NAME, scanSegment, type Mark, type SpoolRecord } from "./spool-format.ts";

export const MARK_FILE = "acked";

export interface SegmentInfo {
  name: string;
  bytes: number;
  /** Highest seq in the segment (-1 when empty). */
  lastSeq: bigint;
}

export interface TornTail {
  segment: string;
  offset: number;
  /** Bytes cut from the segment. */
  bytes: number;
  why: string;
}

export interface SpoolContents {
  records: SpoolRecord[];
  highest: bigint | undefined;
  mark: bigint | undefined;
  /** A collector's Welcome confirmed the numbering (else restored batches are provisional: outbox.ts). */
  confirmed: boolean;
  segments: SegmentInfo[];
  torn: TornTail[];
  problems: string[];
}

function readMark(dir: string, problems: string[]): Mark | undefined {
  try {
    const mark = decodeMark(readFileSync(join(dir, MARK_FILE)));
    if (mark === undefined) problems.push(`${MARK_FILE}: not a mark; every spooled batch is resent`);
    return mark;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") problems.push(`${MARK_FILE}: ${errorMessage(err)}`);
    return undefined;
  }
}

function listSegments(dir: string, problems: string[]): string[] {
  try {
    return readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") problems.push(`${dir}: ${errorMessage(err)}`);
    return [];
  }
}

/** One segment's good records; a torn tail is cut off the file (or reported as not cut). */
function readSegment(dir: string, name: string, out: SpoolContents, cut: boolean): SpoolRecord[] | undefined {
  const path = join(dir, name);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    out.problems.push(`${name}: ${errorMessage(err)}`);
    return undefined;
  }
  const scan = scanSegment(buf);
  let bytes = buf.length;
  if (scan.tornAt !== undefined && cut) {
    out.torn.push({ segment: name, offset: scan.tornAt, bytes: buf.length - scan.tornAt, why: scan.why });
    try {
      if (scan.tornAt === 0) unlinkSync(path);
      else truncateSync(path, scan.tornAt);
      bytes = scan.tornAt;
    } catch (err) {
      out.problems.push(`${name}: torn tail not cut: ${errorMessage(err)}`);
    }
  }
  if (bytes > 0 || scan.tornAt === undefined) {
    const lastSeq = scan.records.reduce((m, r) => (r.seq > m ? r.seq : m), -1n);
    out.segments.push({ name, bytes, lastSeq });
  }
  return scan.records;
}

/** What `dir` holds (a missing directory holds nothing). `cut: false` reads only (a spool in use: tools, tests). */
export function readSpoolDir(dir: string, cut = true): SpoolContents {
  const out: SpoolContents = { records: [], highest: undefined, mark: undefined, confirmed: false, segments: [], torn: [], problems: [] };
  const mark = readMark(dir, out.problems);
  out.mark = mark?.acked;
  out.confirmed = mark?.confirmed ?? false;
  let highest = out.mark;
  const bySeq = new Map<bigint, SpoolRecord>();
  const superseded = new Set<bigint>();
  for (const name of listSegments(dir, out.problems)) {
    for (const r of readSegment(dir, name, out, cut) ?? []) {
      if (highest === undefined || r.seq > highest) highest = r.seq;
      if (r.supersedes !== undefined) superseded.add(r.supersedes);
      // why: a batch spooled twice (appended again after the spool was unwritable) is one batch; the first copy wins.
      if ((out.mark === undefined || r.seq > out.mark) && !bySeq.has(r.seq)) bySeq.set(r.seq, r);
    }
  }
  out.highest = highest;
  out.records = [...bySeq.values()].filter((r) => !superseded.has(r.seq)).sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return out;
}
