// Commands over NATS on a real nats-server: an agent process serves the collectors its config names
// (nats.collectors) and refuses every other one without running the command; refusals are counted in its own
// point (refused_commands_total) and logged once per collector. A request on the agent's bare command subject
// (the scheme before collectors were named) finds no responder.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Collector } from "../../../collector/src/collector.ts";
import { commandSubject, DEFAULT_SUBJECT_PREFIX } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { killAll, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { Publisher, SITE, startNatsCollector } from "./fixtures.ts";

const AGENT = "cmd-agent";

function agentConfig(dir: string, natsUrl: string, collectors: string[]): string {
  const file = join(dir, "agent.yaml");
  const nats = { servers: natsUrl, site: SITE, collectors };
  writeFileSync(file, JSON.stringify({ agent: { id: AGENT, intervalMs: 100, selfIntervalMs: 100, collector: { transport: "nats", backoffMinMs: 50, backoffMaxMs: 300 }, nats, batch: { maxPoints: 200, maxDelayMs: 50 }, samplers: { netstate: { enabled: false }, tcpinfo: { enabled: false } } } }));
  return file;
}

/** The agent's refused_commands_total as stored by either collector (each stores part of the stream). */
async function refusedTotal(collectors: Collector[]): Promise<bigint> {
  let max = -1n;
  for (const c of collectors) {
    for (const r of await c.store.latest({ measurement: "eastwest_agent", tags: { agent_id: AGENT } })) {
      const v = r.fields["refused_commands_total"];
      if (typeof v === "bigint" && v > max) max = v;
    }
  }
  return max;
}

describe("nats: commands only from the collectors the agent's config names", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let dir: ReturnType<typeof tempDir>;
  const collectors: Collector[] = [];
  let pub: Publisher;
  let agent: Proc;

  before(async () => {
    nats = await startNatsServer();
    dir = tempDir("nats-commands");
    pub = await Publisher.connect(nats.url);
    collectors.push(await startNatsCollector("col-named", join(dir.path, "a.db"), nats.url), await startNatsCollector("col-other", join(dir.path, "b.db"), nats.url));
    agent = start(["agent", "--config", agentConfig(dir.path, nats.url, ["col-named"]), "--log-level", "info"]);
    for (const c of collectors) await c.sessions.waitFor(AGENT, 30_000);
  });
  after(async () => {
    await killAll();
    for (const c of collectors) await c.stop();
    await pub.close();
    await nats.stop();
    dir.remove();
  });

  it("runs a command from a named collector and refuses the same command from another, counted", async () => {
    const [named, other] = collectors as [Collector, Collector];
    const setInterval = { $case: "setInterval" as const, value: { sampler: "", intervalMs: 200, forMs: 1000 } };
    const ok = await named.sessions.command(AGENT, setInterval, 10_000);
    assert.equal(ok.ok, true, ok.error);
    const before = await refusedTotal(collectors);
    for (let i = 0; i < 3; i++) {
      const r = await other.sessions.command(AGENT, setInterval, 10_000);
      assert.equal(r.ok, false);
      assert.equal(r.error, 'refused: commands from collector "col-other" are not allowed by nats.collectors');
    }
    await waitFor(async () => ((await refusedTotal(collectors)) >= (before < 0n ? 0n : before) + 3n ? true : undefined), 20_000, "3 refusals counted in the agent's point");
    const logged = agent.stderr().split("\n").filter((l) => l.includes("command refused") && l.includes("col-other"));
    assert.equal(logged.length, 1, `logged once: ${logged.join("\n")}`);
    assert.ok(other.sessions.isConnected(AGENT), "a refusal is an answer: the session stays");
  });

  it("a request on the agent's bare command subject finds no responder", async () => {
    const host = (await collectors[0]!.registry.get(AGENT))?.hostname ?? "";
    assert.notEqual(host, "", "the agent's host name from its hello");
    const bare = commandSubject({ prefix: DEFAULT_SUBJECT_PREFIX, site: SITE, host, agentId: AGENT });
    await assert.rejects(pub.nc.request(bare, new Uint8Array(), { timeout: 2000 }), /503|no responders/i);
  });
});
