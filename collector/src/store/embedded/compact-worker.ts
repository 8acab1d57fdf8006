// The compaction thread's entry (compact-thread.ts starts it): drops node:sqlite's experimental warning in this
// thread too (common/src/process.ts says why), then loads compact-serve.ts, which loads node:sqlite.
import { dropSqliteWarning } from "@eastwest/common/process";

dropSqliteWarning();
await import("./compact-serve.ts");
