// Clock offsets with real agents (gRPC on loopback, an in-process collector): one agent's clock is set 3 s ahead
// with libfaketime, another's 1 s behind. /api/v1/agents shows its offset, ~+3000 ms within the stated uncertainty, and ~0 for the other.
// A real iperf3 run between the two reads the client's samples on its clock: netdev agrees with iperf3 at both ends
// as it does for a correct clock, and the run warns that the offset is over the bound. Read over the uncorrected
// window, the same samples disagree (the figure the correction removes). The same for a server 1 s behind, whose
// samples past the window the collector must wait for.
import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { correlate } from "../../../collector/src/run/correlate.ts";
import { parseIperf3 } from "../../../collector/src/run/iperf3.parse.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import type { EndpointData, Window } from "../../../collector/src/run/types.ts";
import { parseExact, stringifyExact } from "../../../collector/src/store/json.ts";
import { postJson } from "../../helpers/api.ts";
import { fakeTimeEnv } from "../../helpers/faketime.ts";
import { freePort, getJson, killAll, RUN_ACTIONS, requireBinary, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

interface AgentView {
  agentId: string;
  clockOffsetMs: number | null;
  clockUncertaintyMs: number | null;
  clock: { known: boolean; reason?: string; via?: string; samples?: number; delayMs?: number };
}

const AHEAD_MS = 3000;

describe("clock offsets (real agents, clocks 3 s ahead and 1 s behind)", function () {
  this.timeout(120_000);
  const tag = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const GOOD = `clk-good-${tag}`;
  const AHEAD = `clk-ahead-${tag}`;
  const BEHIND = `clk-behind-${tag}`;
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let api: string;
  let aheadProc: Proc;

  before(async () => {
    requireBinary("iperf3");
    const faked = fakeTimeEnv(`+${AHEAD_MS / 1000}s`);
    dir = tempDir("clock");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    api = `http://127.0.0.1:${collector.httpPort}`;
    const agent = (id: string, env: Record<string, string>) => start(["agent", "--id", id, "--collector", `127.0.0.1:${collector.grpcPort}`, "--scheduling", "normal", "--log-level", "info", ...RUN_ACTIONS], { env });
    agent(GOOD, {});
    aheadProc = agent(AHEAD, faked);
    agent(BEHIND, fakeTimeEnv("-1s"));
    for (const id of [GOOD, AHEAD, BEHIND]) await collector.sessions.waitFor(id, 20_000);
  });
  after(async () => {
    await killAll();
    await collector?.stop();
    dir?.remove();
  });

  /** The agent's view once its estimate rests on at least `samples` round trips. */
  function known(id: string, samples: number): Promise<AgentView> {
    return waitFor(
      async () => {
        const a = (await getJson<{ agent: AgentView }>(`${api}/api/v1/agents/${id}`)).agent;
        return a.clock.known && (a.clock.samples ?? 0) >= samples ? a : undefined;
      },
      30_000,
      `${id}'s clock offset`,
    );
  }

  it("shows each agent's offset and uncertainty in /api/v1/agents: ~+3000 ms for the faked clock, ~0 for the other", async () => {
    const [good, ahead] = [await known(GOOD, 4), await known(AHEAD, 4)];
    for (const [a, trueMs] of [[good, 0], [ahead, AHEAD_MS]] as const) {
      assert.equal(a.clock.via, "grpc");
      assert.ok(a.clockOffsetMs !== null && a.clockUncertaintyMs !== null, JSON.stringify(a));
      // the true offset lies within the stated uncertainty (libfaketime's shift is exact)
      assert.ok(Math.abs(a.clockOffsetMs - trueMs) <= a.clockUncertaintyMs, `${a.agentId}: ${a.clockOffsetMs} ms +- ${a.clockUncertaintyMs} ms, truly ${trueMs} ms`);
      assert.ok(a.clockUncertaintyMs < 100, `${a.agentId}: uncertainty ${a.clockUncertaintyMs} ms on loopback`);
    }
    // the agent is told: it logs the estimate once, and warns that it is over the bound
    const logs = await waitFor(() => (/clock offset to the collector estimated/.test(aheadProc.stdout() + aheadProc.stderr()) ? aheadProc.stdout() + aheadProc.stderr() : undefined), 10_000, "the agent's clock log line");
    assert.equal(logs.match(/clock offset to the collector estimated/g)?.length, 1, "logged once");
    assert.match(logs, /more than the bound/);
    const list = (await getJson<{ agents: AgentView[] }>(`${api}/api/v1/agents`)).agents;
    assert.ok(list.find((a) => a.agentId === AHEAD)?.clockOffsetMs !== null);
    console.log(`      measured: ${AHEAD} ${ahead.clockOffsetMs} ms +- ${ahead.clockUncertaintyMs} ms (delay ${ahead.clock.delayMs} ms); ${GOOD} ${good.clockOffsetMs} ms +- ${good.clockUncertaintyMs} ms`);
  });

  /** A run of `client` to `server` over loopback; its record. */
  async function run(server: string, client: string): Promise<RunRecord> {
    const port = await freePort();
    const spec = { server: { agentId: server, interface: "lo" }, client: { agentId: client, interface: "lo" }, serverAddress: "127.0.0.1", port, durationS: 4, sampleIntervalMs: 100 };
    const res = await postJson(`${api}/api/v1/runs`, JSON.stringify(spec), collector.localTokenFile);
    const text = await res.text();
    assert.equal(res.status, 201, text);
    return parseExact(text) as RunRecord;
  }

  /** The agent's clock in the record: corrected by its true offset, within the stated uncertainty; the run warns. */
  function assertCorrected(record: RunRecord, id: string, trueMs: number): number {
    const c = record.clock?.agents.find((a) => a.agent_id === id);
    assert.ok(c?.corrected && c.offset_ms !== null && c.uncertainty_ms !== null, stringifyExact(record.clock));
    assert.ok(Math.abs(c.applied_offset_ms - trueMs) <= c.uncertainty_ms, stringifyExact(record.clock));
    assert.match(record.results.warnings.join("\n"), new RegExp(`clock: ${id}'s clock is off the collector's by [-+]\\d+\\.\\d ms .* over the 100 ms bound`));
    return c.applied_offset_ms;
  }

  function assertAgrees(record: RunRecord): void {
    const tp = record.results.throughput;
    for (const [side, agreement] of [["sender", tp.sender_agreement], ["receiver", tp.receiver_agreement]] as const) {
      assert.ok(agreement !== null && Math.abs(agreement - 1) < 0.03, `${side} netdev vs iperf3: ${agreement} (${stringifyExact(tp)}; warnings ${record.results.warnings.join(" | ")})`);
    }
  }

  it("a run with the faked client reads its samples on its clock: netdev agrees with iperf3; the run warns", async () => {
    await known(AHEAD, 4);
    const record = await run(GOOD, AHEAD);
    const applied = assertCorrected(record, AHEAD, AHEAD_MS);
    assert.doesNotMatch(record.results.warnings.join("\n"), new RegExp(`clock: .*${GOOD}`));
    assertAgrees(record);
    const uncorrected = await withoutCorrection(record, GOOD, AHEAD);
    assert.ok(uncorrected.sender !== null && Math.abs(uncorrected.sender - 1) > 0.1, `uncorrected, the faked sender's samples miss the traffic: ${uncorrected.sender}`);
    const tp = record.results.throughput;
    console.log(`      agreement corrected: sender ${tp.sender_agreement?.toFixed(4)} receiver ${tp.receiver_agreement?.toFixed(4)}; uncorrected: sender ${uncorrected.sender?.toFixed(4)} receiver ${uncorrected.receiver?.toFixed(4)}; applied ${applied} ms`);
  });

  it("a server 1 s behind: the collector waits for its samples past the window, and corrects them", async () => {
    await known(BEHIND, 4);
    const record = await run(BEHIND, GOOD);
    const applied = assertCorrected(record, BEHIND, -1000);
    assertAgrees(record);
    const uncorrected = await withoutCorrection(record, BEHIND, GOOD);
    const tp = record.results.throughput;
    console.log(`      agreement corrected: sender ${tp.sender_agreement?.toFixed(4)} receiver ${tp.receiver_agreement?.toFixed(4)}; uncorrected: sender ${uncorrected.sender?.toFixed(4)} receiver ${uncorrected.receiver?.toFixed(4)}; applied ${applied} ms`);
  });

  /** The run's figures when both agents' samples are read over the collector's window as they are stamped. */
  async function withoutCorrection(record: RunRecord, server: string, client: string): Promise<{ sender: number | null; receiver: number | null }> {
    const widenNs = BigInt(Math.round((record.clock?.widened_ms ?? 0) * 1e6));
    const w: Window = { fromNs: BigInt(record.window.fromNs) + widenNs, toNs: BigInt(record.window.toNs) - widenNs };
    const data = async (agentId: string): Promise<EndpointData> => {
      const q = (measurement: string, tags: Record<string, string> = {}) => collector.store.query({ measurement, fromNs: w.fromNs, toNs: w.toNs, tags: { agent_id: agentId, ...tags } });
      return { agentId, netdev: await q("netdev"), cpu: await q("cpu", { cpu: "all" }), tcp: await q("tcp"), flows: await q("tcp_flow") };
    };
    const iperf = parseIperf3(record.iperf3.client);
    const results = correlate({ spec: record.spec, window: w, iperf, server: await data(server), client: await data(client), constants: PAPER_CONSTANTS });
    return { sender: results.throughput.sender_agreement, receiver: results.throughput.receiver_agreement };
  }
});
