// The InfluxDB store against a real victoria-metrics through the v2 write API
// (@influxdata/influxdb-client's WriteApi). VictoriaMetrics names a series
// <measurement>_<field>, keeps ms timestamps and stores every value as a float.
import assert from "node:assert/strict";
import { startVictoriaMetrics, type ExportedSeries, type VictoriaMetrics } from "../../helpers/tsdb.ts";
import { tempDir, waitFor } from "../../helpers/procs.ts";
import { toLine } from "../../../collector/src/store/influx/line-protocol.ts";
import { AckCode } from "@eastwest/proto";
import { batch, influxConfig, msTime, testStore } from "./fixtures.ts";
import { influxCollector, push } from "./push.ts";

/** The single series named `name` among those exported, waiting until it holds `count` samples. */
async function series(vm: VictoriaMetrics, agentId: string, name: string, count = 1): Promise<ExportedSeries> {
  return waitFor(
    async () => {
      const all = await vm.exportSeries(`{__name__="${name}",agent_id="${agentId}"}`);
      const s = all[0];
      return all.length === 1 && s !== undefined && s.values.length >= count ? s : undefined;
    },
    20_000,
    `${name} of ${agentId} in victoria-metrics`,
  );
}

describe("InfluxDB store: victoria-metrics over the v2 write API", function () {
  this.timeout(90_000);
  let vm: VictoriaMetrics;
  let dir: ReturnType<typeof tempDir>;

  before(async () => {
    vm = await startVictoriaMetrics();
    dir = tempDir("influx-vm");
  });
  after(async () => {
    await vm?.stop();
    dir?.remove();
  });

  const config = (over = {}) => influxConfig({ url: vm.url, api: "v2", org: "eastwest", bucket: "eastwest", precision: "ms", ...over });

  it("writes floats, integers and booleans with their tags, then acks; reads stay on the local store", async () => {
    const { store } = testStore(dir.path, "types", config());
    await store.open();
    const t = msTime();
    assert.deepEqual(await store.writeBatches([batch("vm-a", 1n, t, 123_456_789n)]), [{ kind: "ok", stored: 2 }]);
    const rx = await series(vm, "vm-a", "netdev_rx_bytes_total");
    assert.deepEqual(rx.values, [123_456_789]);
    assert.deepEqual(rx.timestamps, [Number(t / 1_000_000n)]);
    assert.deepEqual(rx.metric, { __name__: "netdev_rx_bytes_total", agent_id: "vm-a", host: "hv01", interface: "eth0" }, "empty netns tag left out");
    assert.deepEqual((await series(vm, "vm-a", "netdev_rx_bytes_per_s")).values, [12.5]);
    const csum = await series(vm, "vm-a", "netstate_tx_checksumming");
    assert.deepEqual(csum.values, [1]);
    assert.equal(csum.metric["qdisc"], "fq_codel");
    assert.deepEqual((await series(vm, "vm-a", "netstate_generic_receive_offload")).values, [0]);
    assert.deepEqual((await series(vm, "vm-a", "netstate_mtu_bytes")).values, [1500]);
    const latest = await store.latest({ measurement: "netdev", tags: { agent_id: "vm-a" } });
    assert.equal(latest[0]?.fields["rx_bytes_total"], 123_456_789n, "the local copy keeps the exact integer");
    assert.equal(await store.highestSeq("vm-a"), 1n);
    await store.close();
    await store.close();
  });

  it("a resend is acked as duplicate without a request; the series keeps one value per timestamp", async () => {
    const { store, wire } = testStore(dir.path, "resend", config());
    await store.open();
    const [t1, t2] = [msTime(), msTime()];
    const out = await store.writeBatches([batch("vm-r", 1n, t1), batch("vm-r", 2n, t2), batch("vm-r", 1n, t1)]);
    assert.deepEqual(out, [{ kind: "ok", stored: 2 }, { kind: "ok", stored: 2 }, { kind: "duplicate" }]);
    assert.equal(wire.requests.length, 1, "one request for the group; the in-group copy is not sent");
    assert.equal(wire.requests[0]?.lines.length, 4);
    assert.deepEqual(await store.writeBatches([batch("vm-r", 2n, t2)]), [{ kind: "duplicate" }]);
    assert.equal(wire.requests.length, 1, "a stored batch is not sent again");
    const rx = await series(vm, "vm-r", "netdev_rx_bytes_total", 2);
    assert.deepEqual(rx.values, [1001, 1002]);
    assert.deepEqual(rx.timestamps, [Number(t1 / 1_000_000n), Number(t2 / 1_000_000n)]);
    await store.close();
  });

  it("after a crash between the InfluxDB write and the local commit, the resend's identical points are kept once", async () => {
    const c = config();
    const { store, wire } = testStore(dir.path, "crash", c);
    await store.open();
    const t = msTime();
    const b = batch("vm-c", 1n, t);
    const lines = b.points.map((p) => {
      const l = toLine(p, { precision: c.precision, uint: c.uintFields });
      assert.ok(l.ok);
      return l.line;
    });
    assert.deepEqual(await wire.send(lines), { kind: "ok" }, "the write before the crash");
    assert.deepEqual(await store.writeBatches([b]), [{ kind: "ok", stored: 2 }], "the agent's resend");
    await series(vm, "vm-c", "netdev_rx_bytes_total");
    await waitFor(async () => ((await vm.exportSeries(`{agent_id="vm-c"}`)).length === 5 ? true : undefined), 20_000, "five vm-c series");
    for (const s of await vm.exportSeries(`{agent_id="vm-c"}`)) assert.deepEqual(s.timestamps, [Number(t / 1_000_000n)], s.metric["__name__"]);
    await store.close();
  });

  it("uint fields above 2^63-1: refused before sending in integer mode, written with 'u' in unsigned mode", async () => {
    const big = 2n ** 63n + 2048n;
    const t = msTime();
    const integer = testStore(dir.path, "uint-i", config());
    await integer.store.open();
    const [refused] = await integer.store.writeBatches([batch("vm-u", 1n, t, big)]);
    assert.equal(refused?.kind, "rejected");
    assert.match(refused?.kind === "rejected" ? refused.reason : "", /point 0 \(netdev\): field rx_bytes_total: integer 9223372036854777856 is outside int64/);
    assert.equal(integer.wire.requests.length, 0);
    assert.equal(await integer.store.highestSeq("vm-u"), 0n);
    await integer.store.close();

    const unsigned = testStore(dir.path, "uint-u", config({ uintFields: "unsigned" }));
    await unsigned.store.open();
    assert.deepEqual(await unsigned.store.writeBatches([batch("vm-u", 1n, t, big)]), [{ kind: "ok", stored: 2 }]);
    assert.match(unsigned.wire.requests[0]?.lines[0] ?? "", /rx_bytes_total=9223372036854777856u/);
    const [stored] = (await series(vm, "vm-u", "netdev_rx_bytes_total")).values;
    assert.ok(Math.abs((stored ?? 0) / Number(big) - 1) < 1e-12, `float64 of 2^63+2048, got ${stored}`);
    await unsigned.store.close();
  });

  it("end to end: a collector with store kind influx acks a gRPC push once VictoriaMetrics holds it", async () => {
    const collector = await influxCollector(dir.path, "collector-vm", { url: vm.url, api: "v2", precision: "ms" });
    try {
      const t = msTime();
      const ack = await push(collector, batch("vm-e2e", 1n, t));
      assert.equal(ack.code, AckCode.ACK_CODE_STORED, ack.reason);
      assert.equal(ack.pointsStored, 2);
      assert.deepEqual((await series(vm, "vm-e2e", "netdev_rx_bytes_total")).values, [1001]);
      assert.equal((await push(collector, batch("vm-e2e", 1n, t))).code, AckCode.ACK_CODE_DUPLICATE);
      const latest = await collector.store.latest({ measurement: "netstate", tags: { agent_id: "vm-e2e" } });
      assert.equal(latest[0]?.fields["tx_checksumming"], true);
    } finally {
      await collector.stop();
    }
  });
});
