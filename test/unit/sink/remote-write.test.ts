// The remote-write request as the collector encodes it, decoded by protobufjs after snappyjs uncompresses it:
// labels sorted with __name__, the schema's names and base units (as GET /metrics), samples per series ascending
// in time, one value per millisecond, negative and large timestamps exact, the protocol's headers.
import assert from "node:assert/strict";
import snappy from "snappyjs";
import { remoteWriteCodec, toTimeSeries } from "../../../collector/src/sink/prom/codec.ts";
import { encodeWriteRequest } from "../../../collector/src/sink/prom/remote-write.ts";
import type { LogPoint } from "../../../collector/src/store/point-log.ts";
import { decodeWriteRequest } from "../../helpers/sink-proto.ts";

const tags = { agent_id: "a1", host: "h", netns: "", interface: "lo" };
const point = (pos: number, timeNs: bigint, rx: bigint, extra: Record<string, number> = {}): LogPoint => ({ pos: BigInt(pos), measurement: "netdev", tags, timeNs, fields: { rx_bytes_total: rx, rx_bytes_per_s: 5.5, ...extra } });

describe("remote-write encoding", () => {
  it("has the protocol's headers", () => {
    assert.deepEqual(remoteWriteCodec.headers, { "content-type": "application/x-protobuf", "content-encoding": "snappy", "x-prometheus-remote-write-version": "0.1.0" });
  });

  it("decodes to the stored points: names, sorted labels, samples ascending per series", () => {
    // stored out of time order on purpose: the request must still be sorted
    const points = [point(1, 2_000_000_000n, 20n), point(2, 1_000_000_000n, 10n), { pos: 3n, measurement: "cpu", tags: { agent_id: "a1", host: "h", netns: "", cpu: "all" }, timeNs: 1_500_000_000n, fields: { user_ns_total: 1_500_000_000n } }];
    const [req] = remoteWriteCodec.encode(points);
    assert.ok(req);
    const raw = snappy.uncompress(Buffer.from(req.body));
    const series = decodeWriteRequest(raw);
    const rx = series.find((s) => s.labels[0]?.value === "eastwest_netdev_rx_bytes_total");
    assert.deepEqual(rx?.labels, [
      { name: "__name__", value: "eastwest_netdev_rx_bytes_total" },
      { name: "agent_id", value: "a1" },
      { name: "host", value: "h" },
      { name: "interface", value: "lo" },
    ]);
    assert.deepEqual(rx?.samples, [
      { value: 10, timestamp: 1000n },
      { value: 20, timestamp: 2000n },
    ]);
    // a rate beside its counter is left to PromQL, as on GET /metrics
    assert.equal(series.some((s) => s.labels[0]?.value.includes("per_second")), false);
    const cpu = series.find((s) => s.labels[0]?.value === "eastwest_cpu_user_seconds_total");
    assert.deepEqual(cpu?.samples, [{ value: 1.5, timestamp: 1500n }]);
    assert.equal(req.samples, 3);
    for (const s of series) {
      const names = s.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort());
    }
  });

  it("keeps one value per series and millisecond (the later stored)", () => {
    const { series, samples } = toTimeSeries([point(1, 1_000_100_000n, 1n), point(2, 1_000_900_000n, 2n)]);
    assert.equal(samples, 1);
    assert.deepEqual(series[0]?.samples, [{ timestampMs: 1000n, value: 2 }]);
  });

  it("encodes negative and 64-bit timestamps and any double exactly", () => {
    const values = [0, -0.5, 1e308, Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY];
    const stamps = [-1n, 0n, 2n ** 62n, -(2n ** 63n), 1_700_000_000_123n, 127n];
    const raw = encodeWriteRequest([{ labels: [{ name: "__name__", value: "x" }, { name: "l", value: "é\"\n\u0000" }], samples: values.map((value, i) => ({ value, timestampMs: stamps[i] as bigint })) }]);
    const [s] = decodeWriteRequest(raw);
    assert.deepEqual(s?.labels[1], { name: "l", value: "é\"\n\u0000" });
    assert.deepEqual(s?.samples.map((x) => x.timestamp), stamps);
    assert.deepEqual(s?.samples.map((x) => x.value), values);
  });

  it("gives no request for points without numeric samples", () => {
    assert.deepEqual(remoteWriteCodec.encode([{ pos: 1n, measurement: "no_such_measurement", tags: {}, timeNs: 1n, fields: { x: 1 } }]), []);
  });
});
