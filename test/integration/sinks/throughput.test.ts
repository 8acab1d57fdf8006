// Figures: a backlog of 60,000 stored netdev points (60 series x 1,000 s, 4 counters each) is written into a
// real embedded store and then forwarded by a remote-write sink to a real Prometheus 2.42 from the start of the
// store: points/s stored vs points/s forwarded in one run, printed. Checked: Prometheus holds every sample.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { silentLogger, ThrottledLog, type Sample } from "@eastwest/common";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { sinkConfigSchema } from "../../../collector/src/sink/config.ts";
import { SinkCursor } from "../../../collector/src/sink/cursor.ts";
import { Forwarder } from "../../../collector/src/sink/forwarder.ts";
import { httpPoster } from "../../../collector/src/sink/http.ts";
import { remoteWriteCodec } from "../../../collector/src/sink/prom/codec.ts";
import { newSinkStats } from "../../../collector/src/sink/stats.ts";
import { createStore } from "../../../collector/src/store/index.ts";
import { getJson, killAll, tempDir, waitFor } from "../../helpers/procs.ts";
import { startPrometheus, type Prometheus } from "./lab.ts";

const SERIES = 60;
const STEPS = 1000;
const PER_BATCH = 500;

function backlog(nowS: bigint): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < STEPS; t++) {
    for (let s = 0; s < SERIES; s++) {
      const v = BigInt(t * 1000 + s);
      out.push({ measurement: "netdev", tags: { agent_id: "bench", host: "h", netns: "", interface: `if${s}` }, timeNs: (nowS - BigInt(STEPS - t)) * 1_000_000_000n, fields: { rx_bytes_total: v, tx_bytes_total: v, rx_packets_total: v, tx_packets_total: v } });
    }
  }
  return out;
}

describe("sinks: remote-write throughput from a stored backlog", function () {
  this.timeout(300_000);
  const dir = tempDir("sinks-tput");
  let prom: Prometheus;
  after(async () => {
    await killAll();
    dir.remove();
  });

  it("forwards every stored sample; prints points/s stored and forwarded", async () => {
    mkdirSync(join(dir.path, "prom"));
    prom = await startPrometheus(join(dir.path, "prom"));
    const store = createStore(loadCollectorConfig({ env: {}, flags: { store: { path: join(dir.path, "s.db") } } }).store);
    await store.open();
    try {
      const points = backlog(BigInt(Math.floor(Date.now() / 1000)));
      const w0 = performance.now();
      let seq = 0n;
      for (let i = 0; i < points.length; i += PER_BATCH) {
        const [out] = await store.writeBatches([{ agentId: "bench", seq: ++seq, points: points.slice(i, i + PER_BATCH), receivedNs: 1n }]);
        assert.equal(out?.kind, "ok");
      }
      const writeS = (performance.now() - w0) / 1000;
      const config = sinkConfigSchema.parse({ kind: "prometheus", url: `${prom.url}/api/v1/write`, startFrom: "oldest", pollMs: 100 });
      const stats = newSinkStats();
      const log = store.log;
      assert.ok(log);
      const f = new Forwarder({ config, log, cursor: new SinkCursor(store, config.name), codec: remoteWriteCodec, post: httpPoster(config), stats, tlog: new ThrottledLog(silentLogger()) });
      const f0 = performance.now();
      f.start();
      await waitFor(() => (stats.sentPoints === BigInt(points.length) ? true : stats.droppedRequests > 0n ? Promise.reject(new Error("a request was dropped")) : undefined), 240_000, "the backlog forwarded");
      const fwdS = (performance.now() - f0) / 1000;
      await f.stop(1000);
      assert.equal(stats.sentSamples, BigInt(points.length * 4));
      for (const name of ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets"]) {
        const q = `sum(count_over_time(eastwest_netdev_${name}_total{agent_id="bench"}[${STEPS + 100}s]))`;
        const r = await getJson<{ data: { result: Array<{ value: [number, string] }> } }>(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
        assert.equal(r.data.result[0]?.value[1], String(points.length), name);
      }
      const mb = Number(stats.sentBytes) / 1e6;
      console.log(
        `      stored ${points.length} points in ${writeS.toFixed(1)} s (${(points.length / writeS).toFixed(0)} points/s); forwarded in ${fwdS.toFixed(1)} s: ` +
          `${(points.length / fwdS).toFixed(0)} points/s, ${(points.length * 4 / fwdS).toFixed(0)} samples/s, ${stats.sentRequests} requests, ${mb.toFixed(2)} MB snappy`,
      );
    } finally {
      await store.close();
    }
  });
});
