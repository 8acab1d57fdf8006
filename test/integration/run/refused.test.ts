// A refusal end to end, with real processes on loopback: `eastwest run` -> collector (HTTP API, gRPC) -> an
// agent whose config does not allow traffic. The run fails with the agent's refusal, naming the command and the
// config key; the other side's iperf3 is stopped, nothing is left running; a hold over the HTTP API is refused
// the same way. The refusing agent logs the refusal once per kind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { freePort, jsonLine, killAll, requireBinary, RUN_ACTIONS, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { postJson } from "../../helpers/api.ts";

/** iperf3 processes started for this test's port. */
function iperfOn(port: number): string[] {
  try {
    return execFileSync("pgrep", ["-a", "iperf3"], { encoding: "utf8" }).trim().split("\n").filter((l) => l.includes(`-p ${port}`));
  } catch {
    return [];
  }
}

describe("run: an agent that does not allow traffic", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let api: string;
  let monitor: Proc;

  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("refused");
    const col = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "c.db"), "--log-level", "warn"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(col);
    api = `http://127.0.0.1:${ports.http_port}`;
    const collector = `127.0.0.1:${ports.grpc_port}`;
    start(["agent", "--id", "allows-traffic", "--collector", collector, "--log-level", "warn", ...RUN_ACTIONS]);
    monitor = start(["agent", "--id", "monitor-only", "--collector", collector, "--log-level", "warn"]);
    for (const id of ["allows-traffic", "monitor-only"]) {
      await waitFor(async () => {
        const res = await fetch(`${api}/api/v1/agents/${id}`);
        return res.ok && ((await res.json()) as { agent: { connected: boolean } }).agent.connected ? true : undefined;
      }, 30_000, `agent ${id} connected`);
    }
  });
  /** The collector's local write token, beside its store. */
  const token = () => join(dir.path, "api-token");
  after(async () => {
    await killAll();
    dir.remove();
  });

  it("eastwest run fails with the refusal, naming the command and actions.traffic; no iperf3 is left", async () => {
    const port = await freePort();
    const run = start(["run", "--api", api, "--token-file", token(), "--server", "allows-traffic", "--client", "monitor-only", "--server-address", "127.0.0.1", "--port", String(port), "--duration-s", "1"]);
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /collector answered 422: run \S+: iperf3 client on monitor-only failed: refused: command iperf3Client \(iperf3 traffic\) is not allowed by actions\.traffic/);
    assert.deepEqual(iperfOn(port), [], "the server side was cancelled");
    const again = start(["run", "--api", api, "--token-file", token(), "--server", "monitor-only", "--client", "allows-traffic", "--server-address", "127.0.0.1", "--port", String(port), "--duration-s", "1"]);
    assert.equal(await again.exited, 1, again.stderr());
    assert.match(again.stderr(), /iperf3 server on monitor-only failed: refused: command iperf3Server \(iperf3 traffic\) is not allowed by actions\.traffic/);
    assert.deepEqual(iperfOn(port), []);
  });

  it("a hold over the HTTP API is refused with actions.hold (422); ending a hold is not", async () => {
    const post = (forMs: number) => postJson(`${api}/api/v1/agents/monitor-only/hold`, JSON.stringify({ for_ms: forMs }), token());
    const held = await post(60_000);
    assert.equal(held.status, 422);
    assert.match(await held.text(), /hold on monitor-only failed: refused: command hold \(holding this agent's samples\) is not allowed by actions\.hold/);
    const released = await post(0);
    assert.equal(released.status, 200, await released.text());
  });

  it("the refusing agent logged each refused kind once", async () => {
    const lines = await waitFor(() => {
      const l = monitor.stderr().split("\n").filter((x) => x.includes("command refused"));
      return l.length >= 4 ? l : undefined;
    }, 10_000, "refusals in the agent's log");
    const kinds = lines.map((l) => (JSON.parse(l) as { kind: string }).kind).sort();
    // why: a run also asks each machine for a CPU profile (optional: refused here too, the run goes on without it).
    assert.deepEqual(kinds, ["collectProfile", "hold", "iperf3Client", "iperf3Server"]);
  });
});
