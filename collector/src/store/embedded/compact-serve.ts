// The compaction thread's side (compact-thread.ts starts it through compact-worker.ts): a connection of its own
// to the store file (a longer busy wait than the ingest thread's: waiting here blocks nobody), and compactAll() on
// request; before each
// slice's commit it waits while the ingest thread commits (IngestGate, file.ts), up to MAX_YIELD_MS. A compaction
// requested while one runs waits for it (the other side sends one at a time). Closes its connection on "close".
import { parentPort, workerData } from "node:worker_threads";
import { errorMessage } from "@eastwest/common";
import { StoreError } from "../types.ts";
import { compactAll, CompactSteps } from "./compact.ts";
import type { FromWorker, ToWorker } from "./compact-thread.ts";
import { EmbeddedFile, runOn, yieldToIngest } from "./file.ts";

const BUSY_TIMEOUT_MS = 5000;
/** The longest a slice's commit waits for ingest commits to finish; then it takes its turn anyway. */
const MAX_YIELD_MS = 1000;

const port = parentPort;
if (port === null) throw new Error("compact-serve.ts runs in a worker thread (compact-thread.ts)");
const data = workerData as { path: string; gate: Int32Array };
const file = new EmbeddedFile({ path: data.path, busyTimeoutMs: BUSY_TIMEOUT_MS });
let steps: CompactSteps | undefined;
let aborted = false;
let running: Promise<void> = Promise.resolve();

async function compact(m: Extract<ToWorker, { kind: "compact" }>): Promise<void> {
  aborted = false;
  let reply: FromWorker;
  try {
    steps ??= new CompactSteps(file.acquire(), () => yieldToIngest(data.gate, MAX_YIELD_MS));
    const open = steps;
    const result = await compactAll((step) => runOn(open, "compact", step), m.cutoffNs, m.floor, () => aborted);
    reply = { kind: "done", id: m.id, result };
  } catch (err) {
    reply = { kind: "failed", id: m.id, error: errorMessage(err), retryable: err instanceof StoreError ? err.retryable : false };
  }
  port?.postMessage(reply);
}

port.on("message", (m: ToWorker) => {
  if (m.kind === "abort") aborted = true;
  else if (m.kind === "compact") running = running.then(() => compact(m));
  else
    void running.then(() => {
      if (steps !== undefined) file.release();
      port.close();
    });
});
