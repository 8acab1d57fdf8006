// The writer thread's side (write-thread.ts starts it through write-worker.ts): an embedded store of its own on the
// file, opened on the first request, that serves writes, retention and compaction. Its busy wait is the default the
// ingest thread's connection has, so that a file another process holds answers a write "retryable" as soon as
// before. An abort stops a retention or compaction between its steps. On "close" it waits for what is in flight,
// closes its store and ends.
import { parentPort, workerData } from "node:worker_threads";
import { errorMessage } from "@eastwest/common";
import { StoreError, type StoredBatch } from "../types.ts";
import { EmbeddedStore } from "./store.ts";
import type { FromWriter, ToWriter, WriterSettings } from "./write-thread.ts";

const port = parentPort;
if (port === null) throw new Error("write-serve.ts runs in a worker thread (write-thread.ts)");
const settings = workerData as WriterSettings;
const store = new EmbeddedStore({ path: settings.path, compaction: settings.compaction, gate: settings.gate });
let opened: Promise<void> | undefined;
const inFlight = new Map<number, { abort: AbortController; done: Promise<void> }>();

async function serve(m: Exclude<ToWriter, { kind: "abort" | "close" }>, signal: AbortSignal): Promise<void> {
  let reply: FromWriter;
  try {
    opened ??= store.open().catch((err: unknown) => {
      opened = undefined;
      throw err;
    });
    await opened;
    let result: unknown;
    if (m.kind === "write") result = await store.writeBatches(m.batches as StoredBatch[]);
    else if (m.kind === "prune") result = await store.prune(m.beforeNs, signal);
    else if (m.kind === "pruneRollups") result = await store.pruneRollups(m.beforeNs, signal);
    else result = await store.compact(m.cutoffNs, m.floor, signal);
    reply = { kind: "done", id: m.id, result };
  } catch (err) {
    reply = { kind: "failed", id: m.id, error: errorMessage(err), retryable: err instanceof StoreError ? err.retryable : false };
  }
  port?.postMessage(reply);
}

port.on("message", (m: ToWriter) => {
  if (m.kind === "abort") inFlight.get(m.id)?.abort.abort();
  else if (m.kind === "close") {
    void Promise.all([...inFlight.values()].map((f) => f.done)).then(async () => {
      await store.close().catch(() => undefined);
      port.close();
    });
  } else {
    const abort = new AbortController();
    const done = serve(m, abort.signal).finally(() => inFlight.delete(m.id));
    inFlight.set(m.id, { abort, done });
  }
});
