// SIGTERM ends the collector within shutdownTimeoutMs, whatever is open: here an agent that vanished (its link went
// down under an open stream, no FIN, no RST) and a store that stopped answering (a real influxd, SIGSTOPped).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getJson, jsonLine, killAll, requireBinary, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { startInfluxd, type Influxd } from "../../helpers/tsdb.ts";

const TIMEOUT_MS = 2000;
/** Process exit after the bound: the linger of a handle left open (500 ms) plus a busy machine's scheduling. */
const SLACK_MS = 3000;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
const sinceMs = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

describe("collector stop: bounded after SIGTERM", function () {
  this.timeout(120_000);
  const tag = `ewst${process.pid % 100_000}`;
  const net = `10.93.${process.pid % 250}`;
  let dir: ReturnType<typeof tempDir>;
  let influxd: Influxd;

  before(async () => {
    requireBinary("ip");
    dir = tempDir("collector-stop");
    influxd = await startInfluxd();
    await influxd.query("CREATE DATABASE ewstop");
    ip("netns", "add", tag);
    ip("link", "add", `${tag}h`, "type", "veth", "peer", "name", `${tag}g`);
    ip("link", "set", `${tag}g`, "netns", tag);
    ip("addr", "add", `${net}.1/24`, "dev", `${tag}h`);
    ip("link", "set", `${tag}h`, "up");
    ip("-n", tag, "addr", "add", `${net}.2/24`, "dev", `${tag}g`);
    ip("-n", tag, "link", "set", `${tag}g`, "up");
  });

  after(async () => {
    await killAll();
    if (influxd) {
      influxd.proc.child.kill("SIGCONT");
      await influxd.stop();
    }
    for (const args of [["netns", "del", tag], ["link", "del", `${tag}h`]]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
    dir?.remove();
  });

  it("exits within shutdownTimeoutMs with a vanished agent's stream open and the store not answering, naming what it waited for", async () => {
    const config = join(dir.path, "collector.yaml");
    writeFileSync(config, JSON.stringify({
      grpc: { host: `${net}.1`, insecure: true },
      store: { kind: "influx", influx: { url: influxd.url, api: "v1", db: "ewstop", precision: "ns" } },
      shutdownTimeoutMs: TIMEOUT_MS,
    }));
    const collector: Proc = start(["collector", "--config", config, "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "s.db"), "--log-level", "info"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
    const agentConfig = join(dir.path, "agent.yaml");
    writeFileSync(agentConfig, JSON.stringify({ collector: { insecure: true } }));
    start(["agent", "--config", agentConfig, "--id", "vanishing", "--collector", `${net}.1:${ports.grpc_port}`, "--interval-ms", "200", "--log-level", "warn"], { prefix: ["ip", "netns", "exec", tag] });
    const api = `http://127.0.0.1:${ports.http_port}`;
    await waitFor(async () => {
      const a = await getJson<{ agent: { highestSeq: number } }>(`${api}/api/v1/agents/vanishing`).catch(() => undefined);
      return a && a.agent.highestSeq > 2 ? a : undefined;
    }, 60_000, "the agent's batches stored");
    // The agent vanishes: its link goes down, so the collector's packets to it are dropped without an answer.
    ip("-n", tag, "link", "set", `${tag}g`, "down");
    // The store stops answering: influxd keeps its socket (connects succeed) but never replies.
    influxd.proc.child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = process.hrtime.bigint();
    collector.child.kill("SIGTERM");
    const code = await collector.exited;
    const tookMs = sinceMs(t0);
    assert.equal(code, 0, collector.stderr().slice(-2000));
    assert.ok(tookMs < TIMEOUT_MS + SLACK_MS, `the collector took ${Math.round(tookMs)} ms to exit (bound ${TIMEOUT_MS} ms + ${SLACK_MS} ms)`);
    const lines = collector.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg?: string; waitingFor?: string; timeoutMs?: number });
    const stopping = lines.find((l) => l.msg === "collector stopping");
    assert.equal(stopping?.timeoutMs, TIMEOUT_MS);
    const gaveUp = lines.find((l) => l.msg?.includes("exiting anyway"));
    assert.ok(gaveUp, `the stop hit its bound and said so: ${collector.stderr().slice(-1500)}`);
    assert.match(gaveUp.waitingFor ?? "", /\S/, "the log line names the step it waited for");
  });
});
