// The InfluxDB store against a real influxd 1.x through the v1 /write endpoint,
// read back with InfluxQL.
import assert from "node:assert/strict";
import { AckCode } from "@eastwest/proto";
import { startInfluxd, type Influxd, type InfluxQlSeries } from "../../helpers/tsdb.ts";
import { tempDir } from "../../helpers/procs.ts";
import { stringifyExact } from "../../../collector/src/store/json.ts";
import { batch, baseTags, influxConfig, msTime, testStore } from "./fixtures.ts";
import { influxCollector, push } from "./push.ts";

const DB = "eastwest";

describe("InfluxDB store: influxd 1.x over the v1 /write endpoint", function () {
  this.timeout(90_000);
  let influxd: Influxd;
  let dir: ReturnType<typeof tempDir>;

  before(async () => {
    influxd = await startInfluxd();
    dir = tempDir("influx-1x");
    await influxd.query(`CREATE DATABASE ${DB}`);
  });
  after(async () => {
    await influxd?.stop();
    dir?.remove();
  });

  const config = (over = {}) => influxConfig({ url: influxd.url, api: "v1", db: DB, precision: "ns", ...over });
  const one = async (q: string, db = DB): Promise<InfluxQlSeries> => {
    const { series } = await influxd.query(q, db);
    assert.equal(series.length, 1, `${q}: ${stringifyExact(series)}`);
    return series[0] as InfluxQlSeries;
  };

  it("writes exact int64 integers, floats, booleans and tags at ns precision; InfluxQL reads them back", async () => {
    const { store } = testStore(dir.path, "types", config());
    await store.open();
    const t = msTime() + 123_456n;
    const rx = 2n ** 62n + 1n;
    assert.deepEqual(await store.writeBatches([batch("ix-a", 1n, t, rx)]), [{ kind: "ok", stored: 2 }]);
    const netdev = await one("SELECT rx_bytes_total, rx_bytes_per_s FROM netdev WHERE agent_id='ix-a' AND interface='eth0'");
    assert.deepEqual(netdev.values, [[t, rx, 12.5]]);
    const netstate = await one("SELECT tx_checksumming, generic_receive_offload, mtu_bytes, qdisc FROM netstate WHERE agent_id='ix-a'");
    assert.deepEqual(netstate.values, [[t, true, false, 1500, "fq_codel"]]);
    const keys = await one("SHOW FIELD KEYS FROM netdev");
    assert.deepEqual(keys.values, [["rx_bytes_per_s", "float"], ["rx_bytes_total", "integer"]]);
    await store.close();
  });

  it("a resend is a duplicate without a request; a resend after a crash overwrites (one row per timestamp)", async () => {
    const c = config();
    const { store, wire } = testStore(dir.path, "resend", c);
    await store.open();
    const t = msTime();
    const b = batch("ix-r", 1n, t);
    await wire.send([`netdev,agent_id=ix-r,host=hv01,interface=eth0 rx_bytes_total=1001i,rx_bytes_per_s=12.5 ${t}`]);
    assert.deepEqual(await store.writeBatches([b]), [{ kind: "ok", stored: 2 }]);
    assert.deepEqual(await store.writeBatches([b]), [{ kind: "duplicate" }]);
    assert.equal(wire.requests.length, 2, "the pre-crash write and the resend; the duplicate sends nothing");
    assert.deepEqual((await one("SELECT count(rx_bytes_total) FROM netdev WHERE agent_id='ix-r'")).values, [[0, 1]]);
    await store.close();
  });

  it("a real partial write: the refused batch is rejected with the server's reason and left as a gap; the other batch is stored", async () => {
    // why: InfluxDB fixes a field's type per shard; a database of its own keeps the other tests' types out.
    await influxd.query("CREATE DATABASE partial");
    const { store, wire } = testStore(dir.path, "partial", config({ db: "partial" }));
    await store.open();
    const t = msTime();
    const tags = Object.entries(baseTags("ix-p")).filter(([, v]) => v !== "").map(([k, v]) => `${k}=${v}`).join(",");
    assert.deepEqual(await wire.send([`netdev,${tags} rx_bytes_total=1.5 ${t - 1_000_000n}`]), { kind: "ok" }, "rx_bytes_total is now a float field");
    const other = batch("ix-q", 1n, t);
    other.points = other.points.filter((p) => p.measurement === "netstate");
    const out = await store.writeBatches([batch("ix-p", 1n, t), other]);
    assert.equal(out[0]?.kind, "rejected");
    assert.match(out[0]?.kind === "rejected" ? out[0].reason : "", /HTTP 400: partial write: field type conflict: input field "rx_bytes_total" on measurement "netdev" is type integer, already exists as type float dropped=1\).*stay written/);
    assert.deepEqual(out[1], { kind: "ok", stored: 1 });
    assert.deepEqual(wire.requests.map((r) => [r.lines.length, r.result.kind]), [[1, "ok"], [3, "refused"], [2, "refused"], [1, "ok"]], "the refused group is resent batch by batch");
    assert.equal(await store.highestSeq("ix-p"), 0n, "not acked: the agent drops it as rejected; its seq stays missing");
    assert.deepEqual(await store.latest({ tags: { agent_id: "ix-p" } }), [], "the local copy holds none of it");
    assert.equal((await one("SELECT mtu_bytes FROM netstate WHERE agent_id='ix-p'", "partial")).values.length, 1, "what InfluxDB accepted stays there");
    assert.deepEqual((await one("SELECT mtu_bytes FROM netstate WHERE agent_id='ix-q'", "partial")).values, [[t, 1500]]);
    await store.close();
  });

  it("1.x reads no 'u' suffix: unsigned mode is refused there; a missing database is an operator's problem, retried later", async () => {
    const unsigned = testStore(dir.path, "unsigned", config({ uintFields: "unsigned" }));
    await unsigned.store.open();
    const [u] = await unsigned.store.writeBatches([batch("ix-u", 1n, msTime())]);
    assert.equal(u?.kind, "rejected");
    assert.match(u?.kind === "rejected" ? u.reason : "", /invalid number/);
    await unsigned.store.close();

    const missing = testStore(dir.path, "nodb", config({ db: "nope", maxRetries: 3, maxRetryDelayMs: 30_000 }));
    await missing.store.open();
    const [m] = await missing.store.writeBatches([batch("ix-m", 1n, msTime())]);
    assert.equal(m?.kind, "retryable");
    assert.equal(m?.kind === "retryable" ? m.afterMs : 0, 30_000);
    assert.match(m?.kind === "retryable" ? m.reason : "", /HTTP 404: database not found: "nope".*check store\.influx/);
    assert.equal(missing.wire.requests.length, 1, "no retries for a configuration problem");
    assert.equal(await missing.store.highestSeq("ix-m"), 0n);
    await missing.store.close();
  });

  it("end to end: a collector with store kind influx (api v1) acks a gRPC push that InfluxQL then finds", async () => {
    const collector = await influxCollector(dir.path, "collector-1x", { url: influxd.url, api: "v1", db: DB });
    try {
      const t = msTime();
      const ack = await push(collector, batch("ix-e2e", 7n, t));
      assert.equal(ack.code, AckCode.ACK_CODE_STORED, ack.reason);
      assert.deepEqual((await one("SELECT rx_bytes_total, rx_bytes_per_s FROM netdev WHERE agent_id='ix-e2e'")).values, [[t, 1007, 12.5]]);
      assert.equal((await push(collector, batch("ix-e2e", 7n, t))).code, AckCode.ACK_CODE_DUPLICATE);
    } finally {
      await collector.stop();
    }
  });
});
