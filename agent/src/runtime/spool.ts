// The agent's spool: every numbered batch on disk from the moment it is made until the collector acks it, so a
// crash (SIGKILL, OOM kill, power loss) loses at most the fsync window, and the next start resends what was never
// acked under its original seq (the collector dedups on (agent_id, seq)).
//
// Layout: <spool.dir>/<agent id>/ holds segment files (spool-format.ts), each up to segmentBytes, and `acked`,
// the mark: every seq <= mark is acked (or dropped). A segment is deleted once its highest seq is <= the mark.
// Contract:
//   open()     never throws; reads the directory (spool-restore.ts: torn tails cut and reported) and prepares it
//              for writing. A directory that cannot be written leaves the spool in memory mode.
//   append(r)  one writev per batch; fsync per `fsync`: "always" after every append (no loss), "interval" at
//              most every fsyncIntervalMs (a power loss loses at most that much; a process crash nothing, the
//              page cache survives it), "never" (the kernel's writeback, ~30 s). Spool full (over maxBytes): the
//              oldest segments go and onDropped(through) drops their batches from the outbox, counted. A failed
//              write (disk full, read-only, I/O error) switches to memory mode: logged once, retried every
//              retryMs; when a retry succeeds onWritable() has the outbox append every unacked batch again.
//   settle(m)  every seq <= m is acked or dropped; the mark is written (one pwrite) at the next fsync tick.
//   confirm()  a collector's Welcome confirmed the numbering: written at once.
//   close()    syncs and closes; safe twice.
import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, constants, ftruncateSync, unlinkSync, writeSync, writevSync } from "node:fs";
import { join } from "node:path";
import { errorMessage, type Logger } from "@eastwest/common";
import { encodeMark, HEADER_BYTES, recordHeader, segmentName, type SpoolRecord } from "./spool-format.ts";
import { MARK_FILE, readSpoolDir, type SegmentInfo, type SpoolContents } from "./spool-restore.ts";
import { syncDir } from "./state-dir.ts";

export type FsyncPolicy = "always" | "interval" | "never";

export interface SpoolOptions {
  /** This agent's own directory (<spool.dir>/<id>). */
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  retryMs: number;
  logger: Logger;
  /** Spool full: every batch with seq <= through left the disk; returns how many the outbox dropped. */
  onDropped(through: bigint): number;
  /** Writable again after a failure: append every unacked batch again. */
  onWritable(): void;
}

export interface SpoolStats {
  writable: boolean;
  bytes: number;
  droppedBatches: bigint;
  writeErrors: bigint;
  truncatedBytes: bigint;
}

const WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND;

export class Spool {
  readonly #o: SpoolOptions;
  #segments: SegmentInfo[] = [];
  /** The last segment's fd while writable. */
  #fd: number | undefined;
  #markFd: number | undefined;
  #mark = -1n;
  #confirmed = false;
  /** The mark file's content as last written ("" before). */
  #markWritten = "";
  #dirty = false;
  #writable = false;
  #closed = false;
  /** In a failure episode (said once): from the first failure until a retry succeeds. */
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stats = { droppedBatches: 0n, writeErrors: 0n, truncatedBytes: 0n };

  private constructor(o: SpoolOptions) {
    this.#o = o;
  }

  /** The spool of `o.dir` and what it holds from earlier runs. */
  static open(o: SpoolOptions): { spool: Spool; contents: SpoolContents } {
    const spool = new Spool(o);
    const contents = readSpoolDir(o.dir);
    spool.#segments = contents.segments;
    spool.#mark = contents.mark ?? -1n;
    spool.#confirmed = contents.confirmed;
    if (contents.mark !== undefined) spool.#markWritten = encodeMark({ acked: contents.mark, confirmed: contents.confirmed }).toString("latin1");
    spool.#stats.truncatedBytes = contents.torn.reduce((n, t) => n + BigInt(t.bytes), 0n);
    spool.#makeWritable("open");
    spool.#timer = setInterval(() => spool.#tick(), o.fsyncIntervalMs);
    spool.#timer.unref();
    return { spool, contents };
  }

  get writable(): boolean {
    return this.#writable;
  }

  stats(): SpoolStats {
    return { writable: this.#writable, bytes: this.#bytes(), ...this.#stats };
  }

  #bytes(): number {
    return this.#segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** Opens the mark file; the first append opens a segment. false (and memory mode) when the directory refuses. */
  #makeWritable(when: string): boolean {
    try {
      mkdirSync(this.#o.dir, { recursive: true, mode: 0o700 });
      this.#markFd = openSync(join(this.#o.dir, MARK_FILE), constants.O_RDWR | constants.O_CREAT, 0o600);
      this.#writable = true;
      this.#gc();
      return true;
    } catch (err) {
      this.#fail(`${when}: ${errorMessage(err)}`);
      return false;
    }
  }

  /** Memory mode: said once per episode, retried every retryMs. */
  #fail(why: string): void {
    this.#writable = false;
    this.#closeFds();
    if (!this.#failing) this.#o.logger.error({ spool: this.#o.dir, why, retryMs: this.#o.retryMs }, "spool unwritable: batches are kept in memory only until it is writable again");
    if (this.#closed || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#closed || !this.#makeWritable("retry")) return;
      this.#failing = false;
      this.#o.logger.warn({ spool: this.#o.dir }, "spool writable again: unacked batches spooled again");
      this.#o.onWritable();
    }, this.#o.retryMs);
    this.#failing = true;
    this.#retry.unref();
  }

  /** Appends one batch; false when it is in memory only (memory mode, or a batch over maxBytes). */
  append(r: SpoolRecord): boolean {
    if (!this.#writable || this.#closed) return false;
    const size = HEADER_BYTES + r.bytes.length;
    if (size > this.#o.maxBytes) return false;
    const header = recordHeader(r);
    let seg = this.#segments.at(-1);
    try {
      if (this.#fd === undefined || seg === undefined || (seg.bytes > 0 && seg.bytes + size > this.#o.segmentBytes)) seg = this.#roll(r.seq);
      this.#makeRoom(size);
      const at = seg.bytes;
      try {
        writevSync(this.#fd as number, [header, r.bytes]);
      } catch (err) {
        // why: a partial record (disk full mid-write) would hide every later record of the segment.
        ftruncateSync(this.#fd as number, at);
        throw err;
      }
      seg.bytes += size;
      if (r.seq > seg.lastSeq) seg.lastSeq = r.seq;
      if (this.#o.fsync === "always") fdatasyncSync(this.#fd as number);
      else this.#dirty = true;
      return true;
    } catch (err) {
      this.#stats.writeErrors += 1n;
      this.#fail(`append seq ${r.seq}: ${errorMessage(err)}`);
      return false;
    }
  }

  /** Closes the current segment (synced unless fsync: never) and opens a new one named after `firstSeq`. */
  #roll(firstSeq: bigint): SegmentInfo {
    this.#closeSegment();
    const seg: SegmentInfo = { name: segmentName(firstSeq, Date.now()), bytes: 0, lastSeq: -1n };
    this.#fd = openSync(join(this.#o.dir, seg.name), WRITE, 0o600);
    this.#segments.push(seg);
    if (this.#o.fsync === "always") syncDir(this.#o.dir);
    return seg;
  }

  /** Spool full: drops the oldest segments (never the one being written) until `size` more bytes fit. */
  #makeRoom(size: number): void {
    while (this.#segments.length > 1 && this.#bytes() + size > this.#o.maxBytes) {
      const oldest = this.#segments[0] as SegmentInfo;
      unlinkSync(join(this.#o.dir, oldest.name));
      this.#segments.shift();
      if (oldest.lastSeq > this.#mark) {
        this.#stats.droppedBatches += BigInt(this.#o.onDropped(oldest.lastSeq));
        this.settle(oldest.lastSeq);
      }
    }
  }

  /** Every seq <= mark is acked or dropped: segments entirely at or below it are deleted. */
  settle(mark: bigint): void {
    if (mark <= this.#mark) return;
    this.#mark = mark;
    if ((this.#segments[0]?.lastSeq ?? mark + 1n) <= mark && this.#segments.length > 1) this.#gc();
  }

  /** Deletes settled segments except the one being written; the mark is written first so it outlives them. */
  #gc(): void {
    if (!this.#writable) return;
    const last = this.#fd === undefined ? undefined : this.#segments.at(-1);
    const done = this.#segments.filter((s) => s !== last && s.lastSeq <= this.#mark);
    if (done.length === 0) return;
    this.#writeMark();
    for (const s of done) {
      try {
        unlinkSync(join(this.#o.dir, s.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") return this.#fail(`delete ${s.name}: ${errorMessage(err)}`);
      }
    }
    this.#segments = this.#segments.filter((s) => !done.includes(s));
  }

  /** A collector confirmed the numbering: said in the mark file at once (synced unless fsync: never). */
  confirm(): void {
    if (this.#confirmed) return;
    this.#confirmed = true;
    if (!this.#writable) return;
    try {
      this.#writeMark();
      if (this.#o.fsync !== "never" && this.#markFd !== undefined) fdatasyncSync(this.#markFd);
    } catch (err) {
      this.#fail(`write mark: ${errorMessage(err)}`);
    }
  }

  #writeMark(): void {
    if (this.#markFd === undefined) return;
    const mark = encodeMark({ acked: this.#mark < 0n ? 0n : this.#mark, confirmed: this.#confirmed });
    const text = mark.toString("latin1");
    if (text === this.#markWritten) return;
    writeSync(this.#markFd, mark, 0, undefined, 0);
    this.#markWritten = text;
  }

  /** Every fsyncIntervalMs: the data synced (fsync: interval) and the mark written. */
  #tick(): void {
    if (!this.#writable) return;
    try {
      this.#writeMark();
    } catch (err) {
      return this.#fail(`write mark: ${errorMessage(err)}`);
    }
    if (!this.#dirty || this.#o.fsync !== "interval" || this.#fd === undefined) return;
    this.#dirty = false;
    const fd = this.#fd;
    fdatasync(fd, (err) => {
      // why: EBADF when the segment was rolled (and synced) meanwhile; anything else is the disk failing.
      if (err && err.code !== "EBADF" && fd === this.#fd) this.#fail(`fdatasync: ${err.message}`);
    });
  }

  #closeSegment(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      if (this.#o.fsync !== "never" && this.#dirty) fdatasyncSync(fd);
    } finally {
      this.#dirty = false;
      closeSync(fd);
    }
  }

  #closeFds(): void {
    try {
      this.#closeSegment();
    } catch {
      // the segment's fd is closed by #closeSegment's finally; a failed sync is the failure being reported
    }
    if (this.#markFd !== undefined) closeSync(this.#markFd);
    this.#markFd = undefined;
  }

  /** Syncs, writes the mark, closes. Safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    if (this.#writable) {
      try {
        this.#gc();
        this.#writeMark();
      } catch (err) {
        this.#o.logger.warn({ spool: this.#o.dir, err: errorMessage(err) }, "spool mark not written at close; acked batches may be resent");
      }
    }
    this.#closeFds();
    this.#writable = false;
  }
}
