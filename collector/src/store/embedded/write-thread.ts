// The writer thread (store.writer "thread"): write-worker.ts in a worker thread with a store of its own on the same
// file, which takes every write the collector makes of points and their batch record: group commits, retention,
// compaction and the ledger's folds. node:sqlite is synchronous, so a commit (its inserts, the WAL's fsync) holds the
// thread that makes it; here that is not the thread that reads gRPC frames, decodes them, acks and answers the HTTP
// API. The ingest thread keeps a connection for reads (snapshots: read.ts), agents, sessions and records.
// Requests are answered in order of completion; several may be in flight. A thread that fails or exits fails what
// was in flight (a write as "retryable": nothing was acked) and is started again on the next request.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { StoreError } from "../types.ts";

/** The worker's file: the TypeScript source in a checkout, the bundle's chunk beside this one in a package. */
function workerUrl(): URL {
  const source = new URL("./write-worker.ts", import.meta.url);
  return existsSync(fileURLToPath(source)) ? source : new URL("./write-worker.mjs", import.meta.url);
}

/** What the thread's store is opened with. */
export interface WriterSettings {
  path: string;
  compaction: "inline" | "worker";
  /** The ingest gate's cell (file.ts) of the ingest thread's file: the compaction thread waits on it. */
  gate: Int32Array;
  /** The worker's entry; write-worker's when absent (tests inject a thread that fails). */
  workerUrl?: URL;
}

export type Request =
  | { kind: "write"; batches: unknown[] }
  | { kind: "prune"; beforeNs: bigint }
  | { kind: "pruneRollups"; beforeNs: bigint }
  | { kind: "compact"; cutoffNs: bigint; floor: bigint };
export type ToWriter = (Request & { id: number }) | { kind: "abort"; id: number } | { kind: "close" };
export type FromWriter = { kind: "done"; id: number; result: unknown } | { kind: "failed"; id: number; error: string; retryable: boolean };

interface Pending {
  resolve: (r: unknown) => void;
  reject: (err: Error) => void;
}

const CLOSE_WAIT_MS = 10_000;

export class WriterThread {
  readonly #settings: WriterSettings;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 0;
  #closed = false;

  constructor(settings: WriterSettings) {
    this.#settings = settings;
  }

  /** Takes requests again after close() (the thread starts with the first). */
  open(): void {
    this.#closed = false;
  }

  /** One request; rejects with StoreError when the thread failed it, went away or is closed. */
  call<T>(req: Request, signal?: AbortSignal): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError("the writer thread is closed", true));
    const w = this.#start();
    const id = ++this.#nextId;
    const abort = () => w.postMessage({ kind: "abort", id } satisfies ToWriter);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      w.ref();
      w.postMessage({ ...req, id } as ToWriter);
      signal?.addEventListener("abort", abort, { once: true });
    }).finally(() => {
      signal?.removeEventListener("abort", abort);
      this.#pending.delete(id);
      // why: an idle thread must not keep the process alive
      if (this.#pending.size === 0) this.#worker?.unref();
    });
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const { workerUrl: url, ...data } = this.#settings;
    const w = new Worker(url ?? workerUrl(), { workerData: data, name: "eastwest-writer" });
    w.unref();
    w.on("message", (m: FromWriter) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      if (m.kind === "done") p.resolve(m.result);
      else p.reject(new StoreError(m.error, m.retryable));
    });
    const gone = (why: string) => {
      if (this.#worker === w) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(new StoreError(`the writer thread ${why}`, true));
      this.#pending.clear();
    };
    w.on("error", (err) => gone(`failed: ${err.message}`));
    w.on("exit", (code) => gone(`exited (code ${code})`));
    this.#worker = w;
    return w;
  }

  /** Stops the thread after what is in flight (retention and compaction stop between steps); it closes its store. */
  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    if (w === undefined) return;
    const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
    for (const id of this.#pending.keys()) w.postMessage({ kind: "abort", id } satisfies ToWriter);
    w.postMessage({ kind: "close" } satisfies ToWriter);
    const timer = setTimeout(() => void w.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }
}
