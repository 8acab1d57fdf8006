// Clock offsets over NATS on a real nats-server: there the batches' acks are the server's PubAcks, so the round
// trip to the collector is the agent's hello request/reply (every nats.helloEveryMs); each hello reports the
// previous one. An agent whose clock libfaketime sets 3 s ahead shows ~+3000 ms within the stated uncertainty, via
// "nats"; before its second hello the API says why the offset is unknown.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Collector } from "../../../collector/src/collector.ts";
import { fakeTimeEnv } from "../../helpers/faketime.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { getJson, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { SITE, startNatsCollector } from "./fixtures.ts";

interface AgentView {
  agentId: string;
  clockOffsetMs: number | null;
  clockUncertaintyMs: number | null;
  clock: { known: boolean; reason?: string; via?: string; samples?: number };
}

describe("nats: clock offsets from the hello round trips", function () {
  this.timeout(60_000);
  const AGENT = `clk-nats-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  let dir: ReturnType<typeof tempDir>;
  let nats: NatsServer;
  let collector: Collector;

  before(async () => {
    const faked = fakeTimeEnv("+3s");
    dir = tempDir("nats-clock");
    nats = await startNatsServer();
    collector = await startNatsCollector("col-clock", join(dir.path, "c.db"), nats.url);
    const file = join(dir.path, "agent.yaml");
    const natsConf = { servers: nats.url, site: SITE, helloEveryMs: 1000 };
    writeFileSync(file, JSON.stringify({ agent: { id: AGENT, intervalMs: 1000, collector: { transport: "nats", backoffMinMs: 50, backoffMaxMs: 300 }, nats: natsConf, samplers: { netstate: { enabled: false }, tcpinfo: { enabled: false } } } }));
    start(["agent", "--config", file, "--log-level", "info"], { env: faked });
  });
  after(async () => {
    await killAll();
    await collector?.stop();
    await nats?.stop();
    dir?.remove();
  });

  it("shows ~+3000 ms within its uncertainty for an agent 3 s ahead, via nats", async () => {
    const api = `http://127.0.0.1:${collector.httpPort}/api/v1/agents/${AGENT}`;
    const first = await waitFor(async () => (await getJson<{ agent: AgentView }>(api).catch(() => undefined))?.agent, 20_000, "the agent's record");
    if (!first.clock.known) assert.match(first.clock.reason ?? "", /round trip/);
    const a = await waitFor(
      async () => {
        const v = (await getJson<{ agent: AgentView }>(api)).agent;
        return v.clock.known && (v.clock.samples ?? 0) >= 3 ? v : undefined;
      },
      30_000,
      "three hello round trips",
    );
    assert.equal(a.clock.via, "nats");
    assert.ok(a.clockOffsetMs !== null && a.clockUncertaintyMs !== null, JSON.stringify(a));
    assert.ok(Math.abs(a.clockOffsetMs - 3000) <= a.clockUncertaintyMs, `${a.clockOffsetMs} ms +- ${a.clockUncertaintyMs} ms, truly 3000 ms`);
    assert.ok(a.clockUncertaintyMs < 100, `uncertainty ${a.clockUncertaintyMs} ms on loopback`);
    console.log(`      measured over NATS: ${a.clockOffsetMs} ms +- ${a.clockUncertaintyMs} ms`);
  });
});
