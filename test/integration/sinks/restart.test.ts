// Durability of a sink's queue: the collector is stopped while Prometheus is down (its sink cannot forward what
// it stored meanwhile) and started again on the same store; once Prometheus is back, every point the collector
// stored before and after its restart is in Prometheus: the cursor in the store survived, nothing was lost.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { killAll, tempDir, waitFor } from "../../helpers/procs.ts";
import { restartCollector, selfCounter, startLab, startPrometheus, storedLo, type Lab, type Prometheus } from "./lab.ts";

describe("sinks: a collector restart during a receiver outage loses nothing", function () {
  this.timeout(300_000);
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const dir = tempDir(`sinks-restart-${tag}`);
  let prom: Prometheus;
  let lab: Lab;

  after(async () => {
    await killAll();
    dir.remove();
  });

  it("forwards after the restart what was stored and not forwarded before it", async () => {
    mkdirSync(join(dir.path, "prom"));
    prom = await startPrometheus(join(dir.path, "prom"));
    lab = await startLab(dir.path, tag, [{ kind: "prometheus", name: "prom", url: `${prom.url}/api/v1/write`, pollMs: 200, retry: { minDelayMs: 200, maxDelayMs: 1000 } }], 3000);
    const selector = `eastwest_netdev_rx_bytes_total{agent_id="${lab.agentId}",interface="lo"}`;
    await waitFor(async () => ((await prom.samples(selector, 600)).size >= 4 ? true : undefined), 60_000, "4 samples in Prometheus");
    await prom.stop();
    const downAt = Date.now();
    await waitFor(async () => ((await storedLo(lab, downAt, Date.now())).size >= 6 ? true : undefined), 60_000, "points stored while Prometheus is down");
    assert.equal(await restartCollector(lab), 0, "the collector stopped within its shutdown timeout");
    await waitFor(async () => ((await storedLo(lab, Date.now() - 3000, Date.now())).size >= 2 ? true : undefined), 60_000, "the agent streaming to the new collector");
    await prom.start();
    const stored = await storedLo(lab, 0, Date.now() - 1000);
    const last = [...stored.keys()].reduce((a, b) => (b > a ? b : a), 0n);
    await waitFor(async () => ((await prom.samples(selector, 900)).has(last) ? true : undefined), 60_000, `the point at ${last} ms in Prometheus`);
    const inProm = await prom.samples(selector, 900);
    const missing = [...stored].filter(([ms, v]) => inProm.get(ms) !== String(v));
    assert.deepEqual(missing, [], `of ${stored.size} stored points`);
    assert.ok([...stored.keys()].filter((ms) => ms >= BigInt(downAt)).length >= 6);
    assert.equal(await selfCounter(lab.api, "eastwest_collector_sink_dropped_requests_total", { sink: "prom" }), 0);
  });
});
