import assert from "node:assert/strict";
import { CommandError, ValidationError, silentLogger } from "@eastwest/common";
import type { Command, Iperf3Client } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { MONITOR_ONLY } from "../../../agent/src/actions/policy.ts";
import { iperf3Client, type Iperf3Deps } from "../../../agent/src/actions/iperf3/iperf3.action.ts";
import type { RunOptions, RunTool, ToolRun } from "../../../agent/src/actions/iperf3/iperf3.run.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import { mapFs } from "../samplers/helpers.ts";

const DOC = { start: { connected: [{ socket: 5 }] }, intervals: [], end: { sum_received: { bits_per_second: 1e9 } } };
const REFUSED: ToolRun = { exitCode: 0, signal: null, stdout: JSON.stringify({ start: {}, end: {}, error: "unable to connect to server: Connection refused" }), stderr: "" };
const OK: ToolRun = { exitCode: 0, signal: null, stdout: JSON.stringify(DOC), stderr: "" };
const CLIENT: Iperf3Client = { server: "127.0.0.1", port: 5201, durationS: 2, streams: 1, lengthBytes: 0, congestion: "", reverse: false, bidir: false };
const FS = mapFs({ "sys/net/ipv4/tcp_available_congestion_control": "reno cubic\n" });

/** A RunTool that answers from a script (a ToolRun, or an Error to reject with) and records its calls. */
function scripted(...answers: Array<ToolRun | Error>) {
  const calls: Array<{ file: string; args: readonly string[]; options: RunOptions }> = [];
  const run: RunTool = async (file, args, options) => {
    calls.push({ file, args, options });
    const a = answers.length > 1 ? answers.shift() : answers[0];
    if (a instanceof Error) throw a;
    if (a === undefined) throw new Error("script exhausted");
    return a;
  };
  return { run, calls };
}

const noExec: Exec = async (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

function deps(runTool: RunTool): CommandDeps {
  return { policy: { ...MONITOR_ONLY, traffic: true }, scheduler: undefined, logger: silentLogger(), exec: noExec, fs: FS, calibrate: async () => undefined, runTool };
}

function server(port: number, oneOffTimeoutMs = 0, deadlineMs = 0): Command {
  return { id: "s1", deadlineMs, kind: { $case: "iperf3Server", value: { port, bind: "", oneOffTimeoutMs } } };
}

function client(spec: Partial<Iperf3Client> = {}): Command {
  return { id: "c1", deadlineMs: 0, kind: { $case: "iperf3Client", value: { ...CLIENT, ...spec } } };
}

describe("iperf3 actions (scripted runner)", () => {
  it("server: runs a one-off iperf3 and returns {iperf3: <document>}", async () => {
    const tool = scripted(OK);
    const r = await handleCommand(server(5201), deps(tool.run));
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(JSON.parse(r.json), { iperf3: DOC });
    assert.equal(tool.calls[0]?.file, "iperf3");
    assert.deepEqual(tool.calls[0]?.args, ["-s", "-1", "-J", "-p", "5201"]);
    assert.equal(tool.calls[0]?.options.timeoutMs, 120_000, "default one-off timeout");
    assert.ok(tool.calls[0]?.options.signal instanceof AbortSignal, "the command's signal reaches the runner");
  });

  it("server: fails with iperf3's own error text", async () => {
    const inUse: ToolRun = { exitCode: 1, signal: null, stdout: JSON.stringify({ error: "error - unable to start listener for connections: Address already in use" }), stderr: "iperf3: exiting\n" };
    const r = await handleCommand(server(5201), deps(scripted(inUse).run));
    assert.deepEqual([r.ok, r.error, r.json], [false, "iperf3 server (port 5201): error - unable to start listener for connections: Address already in use", ""]);
  });

  it("server: reports a timeout, an abort, and an exit without JSON", async () => {
    const stoppedFor = (killedFor: ToolRun["killedFor"]): ToolRun => ({ exitCode: null, signal: "SIGTERM", stdout: "", stderr: "", killedFor });
    let r = await handleCommand(server(5201, 500), deps(scripted(stoppedFor("timeout")).run));
    assert.equal(r.error, "iperf3 server (port 5201): no test finished within 500 ms (one_off_timeout_ms); iperf3 was stopped");
    r = await handleCommand(server(5201), deps(scripted(stoppedFor("abort")).run));
    assert.equal(r.error, "iperf3 server (port 5201): the command deadline passed or it was cancelled; iperf3 was stopped");
    r = await handleCommand(server(5201), deps(scripted({ exitCode: 2, signal: null, stdout: "", stderr: "iperf3: parameter error\n" }).run));
    assert.equal(r.error, "iperf3 server (port 5201): exited with 2: iperf3: parameter error");
  });

  it("rejects invalid arguments before running anything", async () => {
    const tool = scripted(OK);
    const r1 = await handleCommand(server(0), deps(tool.run));
    const r2 = await handleCommand(client({ server: "1.2.3.4; rm -rf /" }), deps(tool.run));
    const r3 = await handleCommand(client({ congestion: "nosuch" }), deps(tool.run));
    assert.match(r1.error, /^invalid iperf3_server command: port: expected an integer in 1\.\.65535, got 0$/);
    assert.match(r2.error, /^invalid iperf3_client command: server: expected an IPv4 or IPv6 literal/);
    assert.equal(r3.error, 'invalid iperf3_client command: congestion: "nosuch" is not available on this host (available: reno cubic)');
    assert.equal(tool.calls.length, 0);
  });

  it("client: passes congestion and returns {iperf3, connectAttempts}", async () => {
    const tool = scripted(OK);
    const r = await handleCommand(client({ congestion: "cubic", bidir: true }), deps(tool.run));
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(JSON.parse(r.json), { iperf3: DOC, connectAttempts: 1 });
    assert.deepEqual(tool.calls[0]?.args, ["-c", "127.0.0.1", "-p", "5201", "-t", "2", "-P", "1", "-C", "cubic", "--bidir", "-J"]);
    assert.equal(tool.calls[0]?.options.timeoutMs, 32_000, "the run's duration plus slack");
  });

  it("client: retries a refused connection until the server answers", async () => {
    const tool = scripted(REFUSED, REFUSED, OK);
    const d: Iperf3Deps = { run: tool.run, fs: FS, logger: silentLogger(), signal: new AbortController().signal, retry: { windowMs: 5000, minMs: 5, maxMs: 10 } };
    const r = await iperf3Client(CLIENT, d);
    assert.equal(r.connectAttempts, 3);
    assert.equal(tool.calls.length, 3);
  });

  it("client: gives up on refusals after the retry window, saying how often it tried", async () => {
    const tool = scripted(REFUSED);
    const d: Iperf3Deps = { run: tool.run, fs: FS, logger: silentLogger(), signal: new AbortController().signal, retry: { windowMs: 60, minMs: 5, maxMs: 10 } };
    await assert.rejects(iperf3Client(CLIENT, d), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.match(err.message, /^iperf3 client \(127\.0\.0\.1 port 5201\): unable to connect to server: Connection refused \(\d+ attempts in \d+ ms\)$/);
      return true;
    });
    assert.ok(tool.calls.length >= 2);
  });

  it("client: does not retry other errors, and stops retrying on abort", async () => {
    const other: ToolRun = { exitCode: 1, signal: null, stdout: JSON.stringify({ error: "the server is busy running a test. try again later" }), stderr: "" };
    const tool = scripted(other);
    const r = await handleCommand(client(), deps(tool.run));
    assert.deepEqual([r.error, tool.calls.length], ["iperf3 client (127.0.0.1 port 5201): the server is busy running a test. try again later", 1]);
    const ac = new AbortController();
    const refusing = scripted(REFUSED);
    const d: Iperf3Deps = { run: refusing.run, fs: FS, logger: silentLogger(), signal: ac.signal, retry: { windowMs: 60_000, minMs: 1000, maxMs: 1000 } };
    const pending = iperf3Client(CLIENT, d);
    ac.abort();
    await assert.rejects(pending, /cancelled while retrying/);
  });

  it("reports a missing iperf3 as 'iperf3: not found'", async () => {
    const missing = new CommandError("iperf3: not found", null, "");
    const r = await handleCommand(client(), deps(scripted(missing).run));
    assert.deepEqual([r.ok, r.error], [false, "iperf3: not found"]);
  });

  it("reports an unreadable congestion list as a validation problem", async () => {
    const d: Iperf3Deps = { run: scripted(OK).run, fs: mapFs({}), logger: silentLogger(), signal: new AbortController().signal };
    await assert.rejects(iperf3Client({ ...CLIENT, congestion: "cubic" }, d), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /congestion: cannot read the available algorithms: ENOENT/);
      return true;
    });
  });
});
