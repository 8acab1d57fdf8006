// The agent's GET /metrics server (agent/src/metrics/server.ts) on a real socket: only GET/HEAD /metrics, the
// maxSeries cut, stale series left out, and a bearer token that is re-read when its file changes.
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nowNs, silentLogger, type Sample } from "@eastwest/common";
import { LatestTable } from "../../../agent/src/metrics/latest.ts";
import { metricsDefaults } from "../../../agent/src/metrics/config.ts";
import { startMetricsServer, type MetricsServer } from "../../../agent/src/metrics/server.ts";
import { tempDir } from "../../helpers/procs.ts";
import { parseExposition } from "../../unit/prom/parse.ts";

const netdev = (iface: string, timeNs: bigint): Sample => ({ measurement: "netdev", tags: { agent_id: "a", host: "h", netns: "", interface: iface }, fields: { rx_bytes_total: 1n, tx_bytes_total: 2n, rx_bytes_per_s: 3 }, timeNs });

describe("agent GET /metrics server", function () {
  this.timeout(30_000);
  const dir = tempDir("prom-agent-server");
  const servers: MetricsServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    dir.remove();
  });

  async function serve(table: LatestTable, over: Partial<ReturnType<typeof metricsDefaults>> = {}): Promise<string> {
    const s = await startMetricsServer({ config: { ...metricsDefaults(), listen: "127.0.0.1:0", ...over }, table, agentId: "a", logger: silentLogger() });
    servers.push(s);
    return `http://127.0.0.1:${s.port}`;
  }

  it("answers only GET and HEAD of /metrics, cuts at maxSeries, leaves out stale series", async () => {
    const table = new LatestTable(100);
    table.observe(["eth0", "eth1", "lo"].map((i) => netdev(i, nowNs())));
    table.observe([netdev("old0", nowNs() - 600_000_000_000n)]);
    const base = await serve(table, { maxSeries: 4 });
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: "POST" })).status, 405);
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    const samples = parseExposition(await (await fetch(`${base}/metrics`)).text(), "text").flatMap((f) => f.samples);
    const meta = (n: string) => samples.find((s) => s.name === `eastwest_metrics_${n}`)?.value;
    assert.equal(meta("series"), 4);
    assert.equal(meta("truncated_series"), 2, "3 fresh series x 2 counters, 4 kept");
    assert.ok(!samples.some((s) => s.labels["interface"] === "old0"));
    assert.ok(!samples.some((s) => s.name.includes("per_s")), "derived rates are left to PromQL");
    assert.equal(table.size, 3, "the stale series is forgotten");
  });

  it("wants the token in its file, and the new one after the file changes", async () => {
    const file = join(dir.path, "token");
    writeFileSync(file, "first-token\n");
    chmodSync(file, 0o600);
    const table = new LatestTable(10);
    table.observe([netdev("lo", nowNs())]);
    const base = await serve(table, { tokenFile: file });
    const status = async (auth?: string) => (await fetch(`${base}/metrics`, auth ? { headers: { authorization: auth } } : {})).status;
    assert.equal(await status(), 401);
    assert.equal(await status("Bearer wrong"), 401);
    assert.equal(await status("Bearer first-token"), 200);
    writeFileSync(file, "second-token-longer\n");
    assert.equal(await status("Bearer first-token"), 401);
    assert.equal(await status("Bearer second-token-longer"), 200);
  });
});
