// The one module that reads /proc and /sys. Roots are configurable so tests
// (and the whole agent) can run against a fixture tree.
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statfsSync } from "node:fs";
import { join } from "node:path";

export interface ProcReadOptions {
  /**
   * The file is a seq_file of records shorter than this many bytes (e.g. /proc/net/tcp): a read that returns less
   * than a page minus one record reached the end, so the read that would return nothing is skipped. why: that
   * last read regenerates the file from its start: for /proc/net/tcp a second walk of the whole TCP hash table.
   */
  recordsUnder?: number;
}

export interface HostFs {
  readonly procRoot: string;
  readonly sysRoot: string;
  /** Read a file under /proc, e.g. proc("net/dev"). */
  proc(rel: string, options?: ProcReadOptions): Promise<string>;
  /** Read a file under /sys, e.g. sys("class/dmi/id/product_uuid"). */
  sys(rel: string): Promise<string>;
  procDir(rel: string): Promise<string[]>;
  sysDir(rel: string): Promise<string[]>;
  procLink(rel: string): Promise<string>;
}

// why: /proc and /sys files are small, generated in memory and never block on a disk; a synchronous
// read costs a read or two on this thread instead of four thread-pool round trips per file,
// which was a measurable share of an idle agent's CPU.
function sync<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err);
  }
}

const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;
/** The smallest page: a seq_file read fills up to a page of whole records (or ends the file). */
const MIN_PAGE = 4096;
/** Bytes asked for by one read, at most (at least MIN_PAGE). */
const MAX_READ = 256 * 1024;
/** Open files kept, at most (a sampler reads a handful of files per tick). */
const MAX_KEPT = 64;

/**
 * Reads files of a pseudo-filesystem (procfs, sysfs) through descriptors kept open, from offset 0 each time:
 * these files are generated afresh by every read from the start, so a kept descriptor reads current content.
 * why: at 10 Hz the open, fstat and close around each read were as costly as the read itself.
 * Per-process files (/proc/<pid>/...) are read once each, as processes come and go.
 */
class KeptFiles {
  readonly #root: string;
  readonly #onePiece: (rel: string) => boolean;
  readonly #fds = new Map<string, number>();
  #buf = Buffer.allocUnsafe(64 * 1024);

  /** `onePiece(rel)`: the file is written whole by one read (up to a page): a shorter read ended it. */
  constructor(root: string, onePiece: (rel: string) => boolean) {
    this.#root = root;
    this.#onePiece = onePiece;
  }

  read(rel: string, recordsUnder = 0): string {
    if (isPerProcess(rel)) return readFileSync(join(this.#root, rel), "utf8");
    const under = this.#onePiece(rel) ? Math.max(recordsUnder, 1) : recordsUnder;
    const kept = this.#fds.get(rel);
    if (kept !== undefined) {
      try {
        return this.#readAll(kept, under);
      } catch {
        // The file went away (an interface removed) or broke: forget it, and open it afresh below.
        this.#forget(rel, kept);
      }
    }
    const fd = openSync(join(this.#root, rel), "r");
    try {
      const text = this.#readAll(fd, under);
      this.#keep(rel, fd);
      return text;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Reads from offset 0 to the end; `recordsUnder` > 0: see ProcReadOptions. */
  #readAll(fd: number, recordsUnder: number): string {
    let n = 0;
    for (;;) {
      // why: seq_file copies what the caller asks for, cutting a record when less than its page is offered; only
      // a short read of a full page's offer is the end of the file.
      if (this.#buf.length - n < MIN_PAGE) {
        const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
        this.#buf.copy(bigger, 0, 0, n);
        this.#buf = bigger;
      }
      // why: a /proc/sys read allocates a kernel buffer of the size asked for and fails with ENOMEM beyond
      // KMALLOC_MAX_SIZE (4 MiB on x86-64, Linux 5.8+), so a buffer grown by one big file must not ask for all of it.
      const got = readSync(fd, this.#buf, n, Math.min(this.#buf.length - n, MAX_READ), n);
      n += got;
      if (got === 0 || (recordsUnder > 0 && got + recordsUnder <= MIN_PAGE)) return this.#buf.toString("utf8", 0, n);
    }
  }

  #keep(rel: string, fd: number): void {
    if (this.#fds.size >= MAX_KEPT) {
      const [oldest, oldFd] = this.#fds.entries().next().value as [string, number];
      this.#forget(oldest, oldFd);
    }
    this.#fds.set(rel, fd);
  }

  #forget(rel: string, fd: number): void {
    this.#fds.delete(rel);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** "1234/cmdline": a file of one process (or thread), not worth keeping open. */
function isPerProcess(rel: string): boolean {
  const c = rel.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/** Kept files by root, shared by every hostFs of the process: at most MAX_KEPT descriptors per root. */
const KEPT = new Map<string, KeptFiles>();

/** A reader for files under `root`: kept descriptors on procfs/sysfs, plain reads elsewhere (fixture trees). */
function fileReader(root: string, magic: number, onePiece: (rel: string) => boolean): (rel: string, recordsUnder?: number) => string {
  let pseudo = false;
  try {
    pseudo = statfsSync(root).type === magic;
  } catch {
    // a missing root: every read fails as it would anyway
  }
  if (!pseudo) return (rel) => readFileSync(join(root, rel), "utf8");
  let kept = KEPT.get(root);
  if (kept === undefined) KEPT.set(root, (kept = new KeptFiles(root, onePiece)));
  const files = kept;
  return (rel, recordsUnder) => files.read(rel, recordsUnder);
}

// why: these are written in one piece, so the read that would return nothing is skipped: a sysfs attribute is
// shown whole (at most a page; binary attributes are read a page at a time), and so is a sysctl (/proc/sys).
const SYSCTL = (rel: string) => rel.startsWith("sys/");
const SYSFS = () => true;

export function hostFs(procRoot = "/proc", sysRoot = "/sys"): HostFs {
  const readProc = fileReader(procRoot, PROC_SUPER_MAGIC, SYSCTL);
  const readSys = fileReader(sysRoot, SYSFS_MAGIC, SYSFS);
  return {
    procRoot,
    sysRoot,
    proc: (rel, options) => sync(() => readProc(rel, options?.recordsUnder)),
    sys: (rel) => sync(() => readSys(rel)),
    procDir: (rel) => sync(() => readdirSync(join(procRoot, rel))),
    sysDir: (rel) => sync(() => readdirSync(join(sysRoot, rel))),
    procLink: (rel) => sync(() => readlinkSync(join(procRoot, rel))),
  };
}
