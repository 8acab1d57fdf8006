// The writer thread's entry (write-thread.ts starts it): drops node:sqlite's experimental warning in this thread too
// (common/src/process.ts says why), then loads write-serve.ts, which loads node:sqlite.
import { dropSqliteWarning } from "@eastwest/common/process";

dropSqliteWarning();
await import("./write-serve.ts");
