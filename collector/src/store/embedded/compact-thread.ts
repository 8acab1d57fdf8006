// The compaction thread (store.compaction "worker"): compact-worker.ts in a worker thread with a connection of its
// own to the store file, so that packing points into chunks (about as costly per point as writing them) runs on
// another core than ingest. SQLite serializes the two connections' writes (a compaction transaction is one slice
// of whole series, compact.ts), and the thread lets ingest commit first (IngestGate, file.ts); the ingest thread's
// reads are snapshots (read.ts). One compaction at a time; an
// abort stops it between slices; a thread that fails or exits fails the compaction at hand and is started again
// on the next one.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { StoreError, type Compacted } from "../types.ts";

/** The worker's file: the TypeScript source in a checkout, the bundle's chunk beside this one in a package. */
function workerUrl(): URL {
  const source = new URL("./compact-worker.ts", import.meta.url);
  return existsSync(fileURLToPath(source)) ? source : new URL("./compact-worker.mjs", import.meta.url);
}

export type ToWorker = { kind: "compact"; id: number; cutoffNs: bigint; floor: bigint } | { kind: "abort" } | { kind: "close" };
export type FromWorker = { kind: "done"; id: number; result: Compacted } | { kind: "failed"; id: number; error: string; retryable: boolean };

interface Job {
  id: number;
  resolve: (r: Compacted) => void;
  reject: (err: Error) => void;
}

const CLOSE_WAIT_MS = 5000;

export class CompactionWorker {
  readonly #path: string;
  readonly #gate: Int32Array;
  #worker: Worker | undefined;
  #job: Job | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #nextId = 0;

  /** `gate`: the ingest thread's IngestGate cell (file.ts), which the thread waits on before each commit. */
  constructor(path: string, gate: Int32Array = new Int32Array(new SharedArrayBuffer(4))) {
    this.#path = path;
    this.#gate = gate;
  }

  /** One compaction in the thread; waits for one already running. Rejects with StoreError when it failed. */
  compact(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    const next = this.#running.then(() => this.#one(cutoffNs, floor, signal));
    this.#running = next.catch(() => undefined);
    return next;
  }

  #one(cutoffNs: bigint, floor: bigint, signal?: AbortSignal): Promise<Compacted> {
    if (signal?.aborted) return Promise.resolve({ points: 0, chunks: 0 });
    const w = this.#start();
    const id = ++this.#nextId;
    const abort = () => w.postMessage({ kind: "abort" } satisfies ToWorker);
    return new Promise<Compacted>((resolve, reject) => {
      this.#job = { id, resolve, reject };
      w.ref();
      w.postMessage({ kind: "compact", id, cutoffNs, floor } satisfies ToWorker);
      signal?.addEventListener("abort", abort, { once: true });
    }).finally(() => {
      signal?.removeEventListener("abort", abort);
      this.#job = undefined;
      this.#worker?.unref();
    });
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const w = new Worker(workerUrl(), { workerData: { path: this.#path, gate: this.#gate }, name: "eastwest-compaction" });
    w.unref();
    w.on("message", (m: FromWorker) => {
      const job = this.#job;
      if (job === undefined || m.id !== job.id) return;
      if (m.kind === "done") job.resolve(m.result);
      else job.reject(new StoreError(`compact: ${m.error}`, m.retryable));
    });
    const gone = (why: string) => {
      if (this.#worker === w) this.#worker = undefined;
      this.#job?.reject(new StoreError(`compact: the compaction thread ${why}`, true));
    };
    w.on("error", (err) => gone(`failed: ${err.message}`));
    w.on("exit", (code) => gone(`exited (code ${code})`));
    this.#worker = w;
    return w;
  }

  /** Stops the thread: a compaction in progress stops between slices; the thread closes its connection. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w === undefined) return;
    const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
    w.postMessage({ kind: "abort" } satisfies ToWorker);
    w.postMessage({ kind: "close" } satisfies ToWorker);
    const timer = setTimeout(() => void w.terminate(), CLOSE_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }
}
