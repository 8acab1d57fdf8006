// The iperf3 actions with real iperf3 on 127.0.0.1 and a random free port, through handleCommand.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { once } from "node:events";
import { silentLogger } from "@eastwest/common";
import type { Command, CommandResult, Iperf3Client } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { MONITOR_ONLY } from "../../../agent/src/actions/policy.ts";
import { realRunTool, type RunTool, type ToolRun } from "../../../agent/src/actions/iperf3/iperf3.run.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { freePort, requireBinary, waitFor } from "../../helpers/procs.ts";

const LOOPBACK = "127.0.0.1";

/** realRunTool, counting runs and resolving `refused` once a client run has been refused. */
function observedRunner() {
  let runs = 0;
  let onRefused: () => void = () => undefined;
  const refused = new Promise<void>((resolve) => (onRefused = resolve));
  const run: RunTool = async (file, args, options) => {
    runs += 1;
    const r: ToolRun = await realRunTool(file, args, options);
    if (args[0] === "-c" && /Connection refused/i.test(r.stdout)) onRefused();
    return r;
  };
  return { run, refused, runs: () => runs };
}

function deps(runTool: RunTool): CommandDeps {
  return { policy: { ...MONITOR_ONLY, traffic: true }, scheduler: undefined, logger: silentLogger(), exec: realExec, fs: hostFs(), calibrate: async () => undefined, runTool };
}

function serverCmd(port: number, extra: { oneOffTimeoutMs?: number; deadlineMs?: number } = {}): Command {
  return { id: `s${port}`, deadlineMs: extra.deadlineMs ?? 0, kind: { $case: "iperf3Server", value: { port, bind: LOOPBACK, oneOffTimeoutMs: extra.oneOffTimeoutMs ?? 0 } } };
}

function clientCmd(port: number, spec: Partial<Iperf3Client> = {}): Command {
  const value: Iperf3Client = { server: LOOPBACK, port, durationS: 1, streams: 1, lengthBytes: 0, congestion: "", reverse: false, bidir: false, ...spec };
  return { id: `c${port}`, deadlineMs: 0, kind: { $case: "iperf3Client", value } };
}

/** Pids of iperf3 processes whose argv names `port` (scans /proc/<pid>/cmdline). */
function iperf3Pids(port: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (/(^|\/)iperf3$/.test(argv[0] ?? "") && argv.includes(String(port))) pids.push(Number(name));
  }
  return pids;
}

type Sum = { bits_per_second: number };

/** end.sum_received (or end.sum_sent) bits per second of a successful result. */
function bitsPerSecond(r: CommandResult, sum: "sum_received" | "sum_sent" = "sum_received"): number {
  assert.equal(r.ok, true, r.error);
  const doc = JSON.parse(r.json) as { iperf3: { end: { sum_received?: Sum; sum_sent?: Sum } } };
  return doc.iperf3.end[sum]?.bits_per_second ?? 0;
}

describe("iperf3 actions (real iperf3 on loopback)", function () {
  this.timeout(60_000);
  let congestion = "";

  before(() => {
    requireBinary("iperf3");
    congestion = readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/)[0] ?? "";
  });

  it("server and client run concurrently; the client, started first, retries until the server listens", async () => {
    const port = await freePort();
    const runner = observedRunner();
    const client = handleCommand(clientCmd(port, { congestion, streams: 2 }), deps(runner.run));
    await runner.refused;
    const server = handleCommand(serverCmd(port), deps(runner.run));
    const [c, s] = await Promise.all([client, server]);
    assert.ok(bitsPerSecond(c) > 0, "client measured traffic");
    assert.ok(bitsPerSecond(s) > 0, "server measured traffic");
    const cdoc = JSON.parse(c.json) as { connectAttempts: number; iperf3: { start: { test_start: { num_streams: number } } } };
    assert.ok(cdoc.connectAttempts >= 2, `attempts ${cdoc.connectAttempts}`);
    assert.equal(cdoc.iperf3.start.test_start.num_streams, 2);
    assert.deepEqual(iperf3Pids(port), []);
  });

  it("runs a reverse test with a write length", async () => {
    const port = await freePort();
    const runner = observedRunner();
    const server = handleCommand(serverCmd(port), deps(runner.run));
    const c = await handleCommand(clientCmd(port, { reverse: true, lengthBytes: 65536 }), deps(runner.run));
    const s = await server;
    assert.ok(bitsPerSecond(c) > 0, "the client received");
    assert.ok(bitsPerSecond(s, "sum_sent") > 0, "the server sent (reverse)");
    assert.equal((JSON.parse(c.json) as { iperf3: { start: { test_start: { reverse: number } } } }).iperf3.start.test_start.reverse, 1);
  });

  it("fails with iperf3's own error when the port is taken, leaving no iperf3 behind", async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    blocker.listen(port, LOOPBACK);
    await once(blocker, "listening");
    try {
      const r = await handleCommand(serverCmd(port), deps(realRunTool));
      assert.equal(r.ok, false);
      assert.match(r.error, new RegExp(`^iperf3 server \\(port ${port}\\): .*Address already in use`));
      assert.deepEqual(iperf3Pids(port), []);
    } finally {
      blocker.close();
    }
  });

  it("stops a server that sees no test within one_off_timeout_ms, or when the command deadline passes", async () => {
    const port = await freePort();
    const running = handleCommand(serverCmd(port, { oneOffTimeoutMs: 500 }), deps(realRunTool));
    await waitFor(() => (iperf3Pids(port).length > 0 ? true : undefined), 10_000, "iperf3 to start");
    const r = await running;
    assert.equal(r.error, `iperf3 server (port ${port}): no test finished within 500 ms (one_off_timeout_ms); iperf3 was stopped`);
    assert.deepEqual(iperf3Pids(port), []);
    const aborted = await handleCommand(serverCmd(port, { deadlineMs: 500 }), deps(realRunTool));
    assert.equal(aborted.error, `iperf3 server (port ${port}): the command deadline passed or it was cancelled; iperf3 was stopped`);
    assert.deepEqual(iperf3Pids(port), []);
  });

  it("stops a running server when the dispatcher's signal aborts (e.g. the agent stopping)", async () => {
    const port = await freePort();
    const ac = new AbortController();
    const running = handleCommand(serverCmd(port), { ...deps(realRunTool), signal: ac.signal });
    const [pid] = await waitFor(() => (iperf3Pids(port).length > 0 ? iperf3Pids(port) : undefined), 10_000, "iperf3 to start");
    ac.abort();
    const r = await running;
    assert.match(r.error, /the command deadline passed or it was cancelled; iperf3 was stopped$/);
    assert.deepEqual(iperf3Pids(port), [], `iperf3 ${pid} is gone`);
  });

  it("a cancel command stops a running server by its command id", async () => {
    const port = await freePort();
    const cmd = serverCmd(port);
    const running = handleCommand(cmd, deps(realRunTool));
    await waitFor(() => (iperf3Pids(port).length > 0 ? true : undefined), 10_000, "iperf3 to start");
    const cancel = (commandId: string) => handleCommand({ id: `x-${commandId}`, deadlineMs: 0, kind: { $case: "cancel", value: { commandId } } }, deps(realRunTool));
    assert.deepEqual(JSON.parse((await cancel(cmd.id)).json), { commandId: cmd.id, cancelled: true });
    const r = await running;
    assert.match(r.error, /the command deadline passed or it was cancelled; iperf3 was stopped$/);
    assert.deepEqual(iperf3Pids(port), []);
    assert.deepEqual(JSON.parse((await cancel(cmd.id)).json), { commandId: cmd.id, cancelled: false }, "a finished command is no longer cancellable");
  });

  it("rejects invalid arguments before anything runs", async () => {
    const port = await freePort();
    const runner = observedRunner();
    const results = await Promise.all([
      handleCommand(serverCmd(0), deps(runner.run)),
      handleCommand(clientCmd(0), deps(runner.run)),
      handleCommand(clientCmd(port, { server: "1.2.3.4; rm -rf /" }), deps(runner.run)),
      handleCommand(clientCmd(port, { congestion: "nosuch" }), deps(runner.run)),
    ]);
    assert.deepEqual(results.map((r) => r.ok), [false, false, false, false]);
    assert.match(results[0]?.error ?? "", /^invalid iperf3_server command: port: expected an integer in 1\.\.65535, got 0/);
    assert.match(results[1]?.error ?? "", /^invalid iperf3_client command: port: expected an integer in 1\.\.65535, got 0/);
    assert.match(results[2]?.error ?? "", /^invalid iperf3_client command: server: expected an IPv4 or IPv6 literal, got "1\.2\.3\.4; rm -rf \/"/);
    assert.match(results[3]?.error ?? "", /^invalid iperf3_client command: congestion: "nosuch" is not available on this host/);
    assert.equal(runner.runs(), 0);
  });
});
