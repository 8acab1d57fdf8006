// The embedded point store: points and the newest point per series in the
// ledger's SQLite file (file.ts), so that prepare() only encodes and stage()
// inserts inside the ledger's commit — one transaction, one fsync, per group of
// batches. Contract: point-store.ts.
import type { ColumnSeries } from "../columns.ts";
import type { PointsPruned, PointStore, Prepared, SeqIndex } from "../point-store.ts";
import type { LogPoint, PointLog } from "../point-log.ts";
import { StoreError, type Compacted, type LatestQuery, type LatestRow, type Series, type SeriesQuery, type StoredBatch } from "../types.ts";
import { compactAll, CompactSteps } from "./compact.ts";
import { CompactionWorker } from "./compact-thread.ts";
import { runOn, type Conn, type EmbeddedFile } from "./file.ts";
import { LogReader } from "./log.ts";
import { inChunks, PointPruneSteps } from "./prune.ts";
import { Reader } from "./read.ts";
import { storeError } from "./sqlite-errors.ts";
import { prepareBatch, PointWriter, type PreparedPoint } from "./write.ts";

interface Open {
  conn: Conn;
  writer: PointWriter;
  reader: Reader;
  log: LogReader;
  prune: PointPruneSteps;
  compact: CompactSteps;
}

/** Whether some measurement has a complete window with head rows before cutoffNs (index lookups only). */
function due(steps: CompactSteps, cutoffNs: bigint): boolean {
  return steps.measurementIds().some((id) => steps.nextWindow(id, -(2n ** 63n), cutoffNs) !== undefined);
}

export class EmbeddedPoints implements PointStore<PreparedPoint[]>, PointLog {
  readonly #file: EmbeddedFile;
  #open: Open | undefined;
  /** store.compaction "worker": the thread that compacts through a connection of its own, started on first use. */
  #worker: CompactionWorker | undefined;

  constructor(file: EmbeddedFile) {
    this.#file = file;
  }

  async open(): Promise<void> {
    if (this.#open !== undefined) return;
    const conn = this.#file.acquire();
    try {
      this.#open = { conn, writer: new PointWriter(conn.db), reader: new Reader(conn.db), log: new LogReader(conn.db), prune: new PointPruneSteps(conn), compact: new CompactSteps(conn) };
    } catch (err) {
      this.#file.release();
      throw storeError(`cannot open store ${this.#file.opts.path}`, err);
    }
  }

  /** Encodes only: nothing is written before the ledger's commit. `known` is not needed (the ledger finds duplicates in its commit). */
  async prepare(bs: readonly StoredBatch[], _known: SeqIndex): Promise<Array<Prepared<PreparedPoint[]>>> {
    const out: Array<Prepared<PreparedPoint[]>> = new Array(bs.length);
    for (let i = 0; i < bs.length; i++) {
      const p = prepareBatch(bs[i] as StoredBatch);
      out[i] = p.ok ? { kind: "staged", stored: p.points.length, data: p.points } : { kind: "rejected", reason: p.reason };
    }
    return out;
  }

  stage(points: PreparedPoint[]): void {
    const open = this.#open;
    if (open === undefined) throw new Error("points: store is not open");
    open.writer.insert(points);
  }

  settle(committed: boolean): void {
    this.#open?.writer.settle(committed);
  }

  async query(q: SeriesQuery): Promise<Series[]> {
    return runOn(this.#open, "query", (o) => o.reader.query(q));
  }

  async queryColumns(q: SeriesQuery): Promise<ColumnSeries[]> {
    return runOn(this.#open, "query", (o) => o.reader.queryColumns(q));
  }

  async latest(q: LatestQuery): Promise<LatestRow[]> {
    return runOn(this.#open, "latest", (o) => o.reader.latest(q));
  }

  /** The point log (../point-log.ts) over this file's points. */
  async readAfter(after: bigint, limit: number, upTo?: bigint): Promise<LogPoint[]> {
    return runOn(this.#open, "readAfter", (o) => o.log.readAfter(after, limit, upTo));
  }

  async head(): Promise<bigint> {
    return runOn(this.#open, "head", (o) => o.log.head());
  }

  /**
   * Removes points older than beforeNs (a chunk once its newest point is: up to one window late), then latest rows of
   * series silent since (see prune.ts), in small
   * transactions with the event loop free in between; stops early, with what it removed so far, when signal aborts.
   */
  async prune(beforeNs: bigint, signal?: AbortSignal): Promise<PointsPruned> {
    const done: PointsPruned = { points: 0, latest: 0 };
    for (const id of runOn(this.#open, "prune", (o) => o.prune.measurementIds())) {
      done.points += await inChunks(() => runOn(this.#open, "prune", (o) => o.prune.points(id, beforeNs)), signal);
      let packed = 0;
      await inChunks(() => {
        const r = runOn(this.#open, "prune", (o) => o.prune.chunks(id, beforeNs));
        packed += r.points;
        return r.chunks;
      }, signal);
      done.points += packed;
    }
    if (signal?.aborted) return done;
    done.latest = runOn(this.#open, "prune", (o) => o.prune.latest(beforeNs));
    return done;
  }

  /** Removes rollups whose last minute starts before beforeNs, in small transactions; stops early when signal aborts. */
  async pruneRollups(beforeNs: bigint, signal?: AbortSignal): Promise<number> {
    let done = 0;
    for (const id of runOn(this.#open, "prune", (o) => o.prune.measurementIds())) {
      done += await inChunks(() => runOn(this.#open, "prune", (o) => o.prune.rollups(id, beforeNs)), signal);
    }
    return done;
  }

  /**
   * Packs every complete window (compact.ts) that ends at or before cutoffNs, as far as floor, one slice of a
   * window of one measurement per transaction with the event loop free in between; stops early, with what it packed
   * so far, when signal aborts.
   */
  async compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    if (this.#file.opts.compaction === "worker") {
      if (this.#open === undefined) throw new StoreError("compact: store is not open", true);
      // why: the thread costs tens of MiB; a collector with nothing complete to pack yet (its first minutes, a
      // short-lived one) need not start it
      if (this.#worker === undefined && !runOn(this.#open, "compact", (o) => due(o.compact, cutoffNs))) return { points: 0, chunks: 0 };
      this.#worker ??= new CompactionWorker(this.#file.opts.path, this.#file.gate.cell);
      return this.#worker.compact(cutoffNs, floor, signal);
    }
    return compactAll((step) => runOn(this.#open, "compact", (o) => step(o.compact)), cutoffNs, floor, () => signal?.aborted === true);
  }

  /** Safe twice and without open; the file closes with its last user. */
  async close(): Promise<void> {
    await this.#worker?.close();
    this.#worker = undefined;
    if (this.#open === undefined) return;
    this.#open = undefined;
    this.#file.release();
  }
}
