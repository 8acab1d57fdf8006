// A writer thread that fails (write-thread.ts runs it in tests): the real one (write-worker.ts), except that a write
// with a batch of agent "crash" ends the thread before it is served, as a crash in the thread would.
import { parentPort } from "node:worker_threads";

parentPort?.on("message", (m: { kind: string; batches?: Array<{ agentId: string }> }) => {
  if (m.kind === "write" && m.batches?.some((b) => b.agentId === "crash")) process.exit(3);
});
await import("../../../collector/src/store/embedded/write-worker.ts");
