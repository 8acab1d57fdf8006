// A run whose iperf3 cannot work ends with a clear error and leaves no
// process behind: the server port is taken; the peer is not connected.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { defaultSpec, RunError } from "../../../collector/src/run/runner.ts";
import { freePort, RUN_ACTIONS, killAll, requireBinary, start, tempDir } from "../../helpers/procs.ts";

function iperfProcesses(port: number): string[] {
  try {
    return execFileSync("pgrep", ["-a", "iperf3"], { encoding: "utf8" }).trim().split("\n").filter((l) => l.includes(`-p ${port}`));
  } catch {
    return [];
  }
}

describe("runs that fail", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let blocker: Server;
  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("runfail");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    for (const id of ["fail-server", "fail-client"]) start(["agent", "--id", id, "--collector", `127.0.0.1:${collector.grpcPort}`, "--log-level", "silent", ...RUN_ACTIONS]);
    await collector.sessions.waitFor("fail-server", 20_000);
    await collector.sessions.waitFor("fail-client", 20_000);
  });
  after(async () => {
    blocker?.close();
    await killAll();
    await collector.stop();
    dir.remove();
  });

  it("port taken: a clear error naming iperf3's reason, no iperf3 left", async () => {
    const port = await freePort();
    blocker = createServer().listen(port, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const before = iperfProcesses(port);
    const spec = defaultSpec({ durationS: 2, port, server: { agentId: "fail-server", interface: "lo" }, client: { agentId: "fail-client", interface: "lo" }, serverAddress: "127.0.0.1", sampleIntervalMs: 100 });
    await assert.rejects(collector.run(spec), (err: unknown) => err instanceof RunError && /in use|iperf3/i.test(err.message));
    assert.deepEqual(iperfProcesses(port), before);
  });

  it("peer not connected: refused before anything runs", async () => {
    const spec = defaultSpec({ durationS: 2, server: { agentId: "nobody-here", interface: "" }, client: { agentId: "fail-client", interface: "" }, serverAddress: "127.0.0.1" });
    const t = Date.now();
    await assert.rejects(collector.run(spec), /nobody-here did not connect/);
    assert.ok(Date.now() - t < 20_000);
  });
});
