// Plaintext only on loopback, with the real programs: a collector asked to listen, or an agent to connect,
// beyond loopback without TLS exits 78 at start; with insecure they run and log a warning at every start.
import assert from "node:assert/strict";
import { join } from "node:path";
import { jsonLine, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";

describe("plaintext gRPC", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => (dir = tempDir("plaintext")));
  after(async () => {
    await killAll();
    dir?.remove();
  });

  it("beyond loopback without TLS or insecure: collector and agent exit 78 at start, saying why", async () => {
    // why: 192.0.2.1 (TEST-NET-1) is never bound or reached: the refusal comes before any socket.
    const col = start(["collector", "--grpc-host", "192.0.2.1", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "c.db")]);
    assert.equal(await col.exited, 78);
    assert.match(col.stderr(), /grpc\.host: 192\.0\.2\.1 is not loopback: configure TLS/);
    const agent = start(["agent", "--id", "p1", "--collector", "192.0.2.1:7470"]);
    assert.equal(await agent.exited, 78);
    assert.match(agent.stderr(), /collector\.address: 192\.0\.2\.1:7470 is not loopback/);
  });

  it("with insecure both run plaintext and log a warning at start", async () => {
    const col = start(["collector", "--grpc-insecure", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "i.db"), "--log-level", "info"]);
    const ports = await jsonLine<{ grpc_port: number }>(col);
    assert.match(col.stderr(), /"level":40,.*"msg":"gRPC ingest is plaintext \(grpc\.insecure: true\)/);
    const agent = start(["agent", "--id", "p2", "--insecure", "--collector", `127.0.0.1:${ports.grpc_port}`, "--log-level", "info"]);
    await waitFor(() => (/"msg":"connected to collector"/.test(agent.stderr()) ? true : undefined), 20_000, "the agent to connect");
    assert.match(agent.stderr(), /"level":40,.*"msg":"gRPC to the collector is plaintext \(collector\.insecure: true\)/);
  });
});
