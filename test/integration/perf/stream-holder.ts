// Child program for spawn.test.ts: starts one real perf stat -I stream, prints perf's pid as a JSON line, then
// idles until it is killed (with SIGKILL, so no cleanup of its own runs).
import { spawnTool } from "../../../agent/src/runtime/spawn.ts";
import { PerfStatStream, perfStatArgs } from "../../../agent/src/samplers/shared/perf/perf-stat.stream.ts";

const stream = new PerfStatStream(spawnTool, perfStatArgs(["task-clock"], 100, { kind: "system" }), 1);
process.stdout.write(`${JSON.stringify({ pid: stream.pid })}\n`);
setInterval(() => undefined, 60_000);
