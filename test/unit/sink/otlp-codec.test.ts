// The OTLP codec: stored points -> one ExportMetricsServiceRequest per agent, serialized by the OpenTelemetry
// packages, decoded here by protobufjs (protobuf) and JSON.parse (json): counters as cumulative monotonic sums
// named as GET /metrics names them without _total, gauges as gauges, the point's own time exact to the ns, values
// in base units, agent_id and host on the resource, the other tags as attributes.
import assert from "node:assert/strict";
import { otlpCodec, unitOf } from "../../../collector/src/sink/otlp/codec.ts";
import type { LogPoint } from "../../../collector/src/store/point-log.ts";
import { otlpPoints } from "../../helpers/sink-proto.ts";

const T = 1_700_000_000_123_456_789n;
const points: LogPoint[] = [
  { pos: 1n, measurement: "netdev", tags: { agent_id: "a1", host: "h1", netns: "", interface: "lo" }, timeNs: T, fields: { rx_bytes_total: 1234n, rx_bytes_per_s: 9.5 } },
  { pos: 2n, measurement: "tcp", tags: { agent_id: "a1", host: "h1", netns: "ns1" }, timeNs: T + 1n, fields: { curr_estab: 3n } },
  { pos: 3n, measurement: "cpu", tags: { agent_id: "a2", host: "h2", netns: "", cpu: "all" }, timeNs: T + 2n, fields: { user_ns_total: 2_500_000_000n } },
];

describe("OTLP codec", () => {
  for (const encoding of ["protobuf", "json"] as const) {
    it(`${encoding}: one request per agent with sums, gauges, times, values and attributes`, async () => {
      const codec = await otlpCodec(encoding);
      assert.equal(codec.headers["content-type"], encoding === "json" ? "application/json" : "application/x-protobuf");
      const reqs = codec.encode(points);
      assert.equal(reqs.length, 2);
      assert.deepEqual(reqs.map((r) => r.samples), [2, 1]);
      const decoded = reqs.flatMap((r) => otlpPoints(encoding === "json" ? JSON.parse(Buffer.from(r.body).toString("utf8")) : r.body));
      const rx = decoded.find((p) => p.metric === "eastwest_netdev_rx_bytes");
      assert.deepEqual(rx && { ...rx }, {
        resource: { "service.name": "eastwest", agent_id: "a1", host: "h1", "service.instance.id": "a1" },
        scope: "eastwest-collector",
        metric: "eastwest_netdev_rx_bytes",
        unit: "By",
        type: "sum",
        monotonic: true,
        temporality: 2,
        attributes: { interface: "lo" },
        startNs: 0n,
        timeNs: T,
        value: 1234,
        integer: true,
      });
      const estab = decoded.find((p) => p.metric === "eastwest_tcp_curr_estab");
      assert.equal(estab?.type, "gauge");
      assert.deepEqual(estab?.attributes, { netns: "ns1" });
      assert.equal(estab?.timeNs, T + 1n);
      const cpu = decoded.find((p) => p.metric === "eastwest_cpu_user_seconds");
      assert.deepEqual([cpu?.value, cpu?.integer, cpu?.unit, cpu?.resource["agent_id"]], [2.5, false, "s", "a2"]);
      // the agent's own rate beside its counter is left out, as on GET /metrics
      assert.equal(decoded.some((p) => p.metric.includes("per_second")), false);
    });
  }

  it("maps units of the exposed names", () => {
    assert.deepEqual(["x_bytes", "x_seconds", "x_ratio", "x_bytes_per_second", "x_per_second", "x"].map(unitOf), ["By", "s", "1", "By/s", "1/s", ""]);
  });
});
