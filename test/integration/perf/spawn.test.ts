// spawnTool with real processes: line delivery, close by pid, a missing binary, and the guarantee the perf
// samplers rely on: a perf stat -I child ends when the agent dies, even by SIGKILL (its stdin pipe closes).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnTool } from "../../../agent/src/runtime/spawn.ts";
import { jsonLine, killAll, requireBinary, startProcess, waitFor } from "../../helpers/procs.ts";

/** Alive and not a zombie (a reparented child may wait a moment to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const NODE = process.execPath;

describe("spawnTool (real processes)", function () {
  this.timeout(30_000);
  after(killAll);

  it("delivers stdout and stderr line by line, the tail without a newline too", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const script = "process.stdout.write('a\\nb'); process.stderr.write('x\\r\\ny\\n');";
    const p = spawnTool(NODE, ["-e", script], { onStdoutLine: (l) => out.push(l), onStderrLine: (l) => err.push(l) });
    assert.deepEqual(await p.exited, { code: 0, signal: null });
    assert.deepEqual(out, ["a", "b"]);
    assert.deepEqual(err, ["x", "y"]);
    assert.deepEqual(await p.close(), { code: 0, signal: null }, "close after exit is harmless");
  });

  it("close() ends stdin, then kills by pid; idempotent", async () => {
    let up = false;
    const p = spawnTool(NODE, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); process.stderr.write('up\\n')"], {
      killGraceMs: 300,
      onStderrLine: (l) => (up ||= l === "up"),
    });
    const pid = p.pid as number;
    await waitFor(() => (up ? true : undefined), 5000, "child ignoring SIGTERM");
    const [a, b] = await Promise.all([p.close(), p.close()]);
    assert.deepEqual(a, { code: null, signal: "SIGKILL" }, "SIGTERM ignored, SIGKILL after the grace");
    assert.deepEqual(a, b);
    assert.equal(alive(pid), false);
  });

  it("stdinPipe: a child that reads stdin ends on close() without a signal", async () => {
    const p = spawnTool(NODE, ["-e", "process.stdin.resume(); process.stdin.on('end', () => process.exit(3))"], { stdinPipe: true });
    const exit = await p.close();
    assert.ok(exit.code === 3 || exit.signal === "SIGTERM", JSON.stringify(exit));
  });

  it("a missing binary is an exit with a reason, not an exception", async () => {
    const p = spawnTool("eastwest-no-such-tool", []);
    assert.deepEqual(await p.exited, { code: null, signal: null, error: "eastwest-no-such-tool: not found" });
    assert.equal((await p.close()).error, "eastwest-no-such-tool: not found");
  });

  it("a perf stat -I child does not outlive an agent killed with SIGKILL", async function () {
    try {
      requireBinary("perf");
    } catch (err) {
      if (process.env["CI"] === "true") throw err;
      this.skip();
    }
    const holder = startProcess(NODE, [fileURLToPath(new URL("./stream-holder.ts", import.meta.url))]);
    const { pid } = await jsonLine<{ pid: number }>(holder);
    await waitFor(() => (alive(pid) ? true : undefined), 5000, "perf running");
    await holder.kill("SIGKILL");
    await waitFor(() => (alive(pid) ? undefined : true), 10_000, `perf (pid ${pid}) to end after its parent died`);
  });
});
