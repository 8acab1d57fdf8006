// Prometheus remote-write end to end: an agent streams to a collector whose sinks push to a real Prometheus 2.42
// (--web.enable-remote-write-receiver), a real VictoriaMetrics (/api/v1/write) and a receiver that answers 400.
// Every stored point of lo's rx_bytes_total is in both, with its own timestamp and value, also after Prometheus
// was down for a while (retries counted, nothing missing); the 400s are counted as drops and ingest goes on.
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { killAll, tempDir, waitFor } from "../../helpers/procs.ts";
import { SinkReceiver } from "../../helpers/sink-receiver.ts";
import { startVictoriaMetrics, type VictoriaMetrics } from "../../helpers/tsdb.ts";
import { selfCounter, startLab, startPrometheus, storedLo, type Lab, type Prometheus } from "./lab.ts";

const SINK = "eastwest_collector_sink";

describe("sinks: Prometheus remote-write to Prometheus and VictoriaMetrics", function () {
  this.timeout(300_000);
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const dir = tempDir(`sinks-rw-${tag}`);
  let prom: Prometheus;
  let vm: VictoriaMetrics;
  const bad = new SinkReceiver();
  let lab: Lab;
  let selector = "";

  before(async () => {
    mkdirSync(join(dir.path, "prom"));
    prom = await startPrometheus(join(dir.path, "prom"));
    vm = await startVictoriaMetrics();
    bad.answer = () => ({ status: 400, body: "no" });
    const badUrl = await bad.start();
    const fast = { pollMs: 200, retry: { minDelayMs: 200, maxDelayMs: 1000 } };
    lab = await startLab(dir.path, tag, [
      { kind: "prometheus", name: "prom", url: `${prom.url}/api/v1/write`, ...fast },
      { kind: "prometheus", name: "vm", url: `${vm.url}/api/v1/write`, ...fast },
      { kind: "prometheus", name: "bad", url: `${badUrl}/api/v1/write`, ...fast },
    ]);
    selector = `eastwest_netdev_rx_bytes_total{agent_id="${lab.agentId}",interface="lo"}`;
  });

  after(async () => {
    await killAll();
    await bad.stop();
    await vm?.stop();
    dir.remove();
  });

  /** Waits until `has` holds the last stored point at or before endMs; returns the stored points up to it. */
  async function caughtUp(endMs: number, has: (ms: bigint) => Promise<boolean>): Promise<Map<bigint, bigint>> {
    const stored = await storedLo(lab, 0, endMs);
    const last = [...stored.keys()].reduce((a, b) => (b > a ? b : a), 0n);
    await waitFor(async () => ((await has(last)) ? true : undefined), 60_000, `the point at ${last} ms forwarded`);
    return stored;
  }

  it("Prometheus holds every stored point, with an outage of Prometheus in between (retried, nothing missing)", async () => {
    await waitFor(async () => ((await prom.samples(selector, 600)).size >= 6 ? true : undefined), 60_000, "6 samples in Prometheus");
    await prom.stop();
    const downAt = Date.now();
    const before = (await storedLo(lab, 0, downAt)).size;
    const ingestedAtDown = await selfCounter(lab.api, "eastwest_collector_points_stored_total");
    await waitFor(async () => {
      const retries = await selfCounter(lab.api, `${SINK}_retries_total`, { sink: "prom" });
      return retries >= 3 && (await storedLo(lab, 0, Date.now())).size >= before + 8 ? true : undefined;
    }, 60_000, "retries while Prometheus is down, and points stored meanwhile");
    const downMs = Date.now() - downAt;
    const ingestedDown = (await selfCounter(lab.api, "eastwest_collector_points_stored_total")) - ingestedAtDown;
    await prom.start();
    const upAt = Date.now();
    const stored = await caughtUp(Date.now() - 1000, async (ms) => (await prom.samples(selector, 900)).has(ms));
    const caughtMs = Date.now() - upAt;
    const inProm = await prom.samples(selector, 900);
    const missing = [...stored].filter(([ms, v]) => inProm.get(ms) !== String(v));
    assert.deepEqual(missing, [], `stored points missing or different in Prometheus (of ${stored.size})`);
    const extra = [...inProm.keys()].filter((ms) => ms <= [...stored.keys()].reduce((a, b) => (b > a ? b : a), 0n) && !stored.has(ms));
    assert.deepEqual(extra, [], "samples in Prometheus the collector did not store");
    assert.ok(stored.size >= before + 6, `${stored.size} stored points, ${before} before the outage`);
    const retries = await selfCounter(lab.api, `${SINK}_retries_total`, { sink: "prom" });
    assert.ok(retries >= 3, `retries ${retries}`);
    assert.equal(await selfCounter(lab.api, `${SINK}_dropped_requests_total`, { sink: "prom" }), 0);
    console.log(`      Prometheus down ${(downMs / 1000).toFixed(1)} s (${ingestedDown} agent points stored meanwhile), ${retries} retries; backlog in Prometheus ${(caughtMs / 1000).toFixed(1)} s after it was back; ${stored.size} lo points compared`);
  });

  it("VictoriaMetrics holds every stored point", async () => {
    const vmSelector = `{__name__="eastwest_netdev_rx_bytes_total",agent_id="${lab.agentId}",interface="lo"}`;
    const inVm = async (): Promise<Map<bigint, string>> => {
      const [s] = await vm.exportSeries(vmSelector);
      return new Map((s?.timestamps ?? []).map((t, i) => [BigInt(t), String(s?.values[i])]));
    };
    const stored = await caughtUp(Date.now() - 1000, async (ms) => (await inVm()).has(ms));
    const got = await inVm();
    const missing = [...stored].filter(([ms, v]) => got.get(ms) !== String(v));
    assert.deepEqual(missing, [], `stored points missing or different in VictoriaMetrics (of ${stored.size})`);
    assert.ok(stored.size >= 10);
    assert.equal(await selfCounter(lab.api, `${SINK}_dropped_requests_total`, { sink: "vm" }), 0);
  });

  it("a receiver answering 400: its requests are dropped and counted, never retried; ingest goes on", async () => {
    const dropped = await selfCounter(lab.api, `${SINK}_dropped_requests_total`, { sink: "bad" });
    assert.ok(dropped > 0, `dropped ${dropped}`);
    assert.ok((await selfCounter(lab.api, `${SINK}_dropped_samples_total`, { sink: "bad" })) > 0);
    assert.equal(await selfCounter(lab.api, `${SINK}_sent_requests_total`, { sink: "bad" }), 0);
    assert.equal(await selfCounter(lab.api, `${SINK}_retries_total`, { sink: "bad" }), 0);
    assert.equal(await selfCounter(lab.api, `${SINK}_up`, { sink: "bad" }), 0);
    assert.ok(bad.received.every((r) => r.headers["content-encoding"] === "snappy" && r.headers["x-prometheus-remote-write-version"] === "0.1.0"));
    const stored0 = await selfCounter(lab.api, "eastwest_collector_batches_stored_total");
    await waitFor(async () => ((await selfCounter(lab.api, "eastwest_collector_batches_stored_total")) >= stored0 + 4 ? true : undefined), 30_000, "batches still stored");
    assert.equal(await selfCounter(lab.api, "eastwest_collector_batches_rejected_total"), 0);
  });

  it("forwards as fast as it ingests (points/s over the same window)", async () => {
    const at = async () => ({ t: Date.now(), stored: await selfCounter(lab.api, "eastwest_collector_points_stored_total"), sent: await selfCounter(lab.api, `${SINK}_sent_points_total`, { sink: "prom" }) });
    const a = await at();
    await waitFor(async () => ((await at()).stored >= a.stored + 500 ? true : undefined), 60_000, "500 more points stored");
    const b = await at();
    const s = (b.t - a.t) / 1000;
    const ingest = (b.stored - a.stored) / s;
    const forward = (b.sent - a.sent) / s;
    // why: the sink forwards every stored point: the agent's (counted in points_stored_total) and the collector's own.
    console.log(`      agent points stored ${ingest.toFixed(0)}/s; points forwarded to Prometheus ${forward.toFixed(0)}/s (agent's and collector's own) over ${s.toFixed(1)} s`);
    assert.ok(forward >= ingest * 0.9, `forwarded ${forward.toFixed(0)}/s of ${ingest.toFixed(0)}/s ingested`);
  });
});
