import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CommandError } from "@eastwest/common";
import { realRunTool } from "../../../agent/src/actions/iperf3/iperf3.run.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";

const NODE = process.execPath;

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe("realRunTool", () => {
  const dir = tempDir("runtool");
  after(() => dir.remove());

  it("resolves for a non-zero exit with stdout and stderr intact", async () => {
    const run = await realRunTool(NODE, ["-e", "process.stdout.write('{\"error\":\"x\"}'); process.stderr.write('bad\\n'); process.exit(3)"], { timeoutMs: 10_000 });
    assert.ok(typeof run.pid === "number" && run.pid > 0, "the child's pid is given");
    assert.deepEqual({ ...run, pid: undefined }, { exitCode: 3, signal: null, stdout: '{"error":"x"}', stderr: "bad\n", pid: undefined });
  });

  it("stops the child at the timeout and settles only after it has exited", async () => {
    const run = await realRunTool(NODE, ["-e", "console.log(process.pid); setInterval(() => {}, 1000)"], { timeoutMs: 1000 });
    const pid = Number(run.stdout.trim());
    assert.ok(Number.isInteger(pid) && pid > 0, "the child printed its pid before the timeout");
    assert.equal(run.killedFor, "timeout");
    assert.equal(run.signal, "SIGTERM");
    assert.ok(gone(pid), "no process left behind");
  });

  it("stops the child on abort, escalating to SIGKILL when SIGTERM is ignored", async () => {
    const pidFile = join(dir.path, "pid");
    const script = `process.on("SIGTERM", () => {}); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`;
    const ac = new AbortController();
    const running = realRunTool(NODE, ["-e", script], { timeoutMs: 30_000, signal: ac.signal, killGraceMs: 100 });
    await waitFor(() => (existsSync(pidFile) ? true : undefined), 10_000, "the child's pid file");
    ac.abort();
    const run = await running;
    assert.deepEqual([run.killedFor, run.signal], ["abort", "SIGKILL"]);
    assert.ok(gone(Number(readFileSync(pidFile, "utf8"))));
  });

  it("does not start when the signal is already aborted", async () => {
    const run = await realRunTool(NODE, ["-e", "console.log('ran')"], { timeoutMs: 1000, signal: AbortSignal.abort() });
    assert.deepEqual(run, { exitCode: null, signal: null, stdout: "", stderr: "", killedFor: "abort" });
  });

  it("stops a child whose output exceeds maxBytes", async () => {
    const run = await realRunTool(NODE, ["-e", "setInterval(() => process.stdout.write('x'.repeat(65536)), 1)"], { timeoutMs: 10_000, maxBytes: 100_000 });
    assert.equal(run.killedFor, "output");
    assert.ok(run.stdout.length <= 100_000);
  });

  it("rejects with '<file>: not found' for a missing binary", async () => {
    await assert.rejects(realRunTool("eastwest-no-such-tool", [], { timeoutMs: 1000 }), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.message, "eastwest-no-such-tool: not found");
      return true;
    });
  });
});
