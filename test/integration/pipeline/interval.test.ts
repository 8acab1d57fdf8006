// --interval-ms is the samplers' interval both ways: below the standard second too (it used to be raised to each
// sampler's 1 s default without a word); a sampler slower by design (netstate, 10 s) keeps its own and the agent
// says so; a per-sampler interval wins over both.
import assert from "node:assert/strict";
import { join } from "node:path";
import { getJson, jsonLine, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { samplerInterval } from "../../../agent/src/agent.ts";

interface Capability { sampler: string; intervalMs: number }

describe("agent: --interval-ms", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => (dir = tempDir("interval")));
  after(async () => {
    await killAll();
    dir.remove();
  });

  it("the rule: the flag for standard samplers, never faster than a slow sampler's default", () => {
    assert.equal(samplerInterval(200, 1000), 200);
    assert.equal(samplerInterval(5000, 1000), 5000);
    assert.equal(samplerInterval(200, 10_000), 10_000);
    assert.equal(samplerInterval(30_000, 10_000), 30_000);
  });

  it("a real agent at --interval-ms 200 samples netdev every 200 ms, netstate every 10 s, and says why", async () => {
    const col = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "s.db"), "--log-level", "warn"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(col);
    const agent = start(["agent", "--id", "fast-1", "--collector", `127.0.0.1:${ports.grpc_port}`, "--interval-ms", "200", "--log-level", "info"], { env: { EASTWEST_AGENT_SAMPLERS: JSON.stringify({ tcp: { intervalMs: 700 } }) } });
    const caps = await waitFor(async () => {
      const r = await getJson<{ agent: { capabilities: Capability[] } }>(`http://127.0.0.1:${ports.http_port}/api/v1/agents/fast-1`).catch(() => undefined);
      return r && r.agent.capabilities.length > 0 ? r.agent.capabilities : undefined;
    }, 60_000, "the agent's capabilities");
    const interval = (name: string) => caps.find((c) => c.sampler === name)?.intervalMs;
    assert.equal(interval("netdev"), 200);
    assert.equal(interval("cpu"), 200);
    assert.equal(interval("netstate"), 10_000);
    assert.equal(interval("tcp"), 700);
    const said = agent.stderr().split("\n").find((l) => l.includes("slower than intervalMs by design"));
    assert.ok(said, agent.stderr());
    assert.deepEqual((JSON.parse(said) as { slower: string[] }).slower, ["netstate 10000 ms"]);
  });
});
