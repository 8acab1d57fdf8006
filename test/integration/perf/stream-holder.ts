// Child program for spawn.test.ts: starts one real perf stat -I stream, prints perf's pid as a JSON line, then
// idles until it is killed (with SIGKILL, so no cleanup of its own runs).
import { spawnTool } from "@eastwest/agent/runtime/spawn";
import { PerfStatStream, perfStatArgs } from "@eastwest/agent/samplers/pmu/perf-stat.stream";

const stream = new PerfStatStream(spawnTool, perfStatArgs(["task-clock"], 100, { kind: "system" }), 1);
process.stdout.write(`${JSON.stringify({ pid: stream.pid })}\n`);
setInterval(() => undefined, 60_000);
