// OTLP metrics end to end: an agent streams to a collector whose sinks push over OTLP/HTTP, one in protobuf and
// one in JSON, to receivers in the test (decoded by protobufjs and JSON.parse, test/helpers/sink-proto.ts). The
// protobuf receiver is down (503) for its first seconds. Checked: every stored point of lo's rx_bytes counter
// arrives as a cumulative monotonic sum point with the point's own time to the nanosecond and its value, on the
// agent's resource (agent_id, host), with interface (and the agent's other tags) as attributes; a gauge arrives as a gauge; retries counted.
import assert from "node:assert/strict";
import { killAll, tempDir, waitFor } from "../../helpers/procs.ts";
import { otlpPoints, type DecodedPoint } from "../../helpers/sink-proto.ts";
import { SinkReceiver } from "../../helpers/sink-receiver.ts";
import { selfCounter, startLab, storedLo, type Lab } from "./lab.ts";

describe("sinks: OTLP metrics export", function () {
  this.timeout(180_000);
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const dir = tempDir(`sinks-otlp-${tag}`);
  const proto = new SinkReceiver();
  const json = new SinkReceiver();
  let lab: Lab;
  let down = true;

  before(async () => {
    const downAnswer = { status: 503, headers: { "retry-after": "1" } as Record<string, string> };
    proto.answer = () => (down ? downAnswer : { status: 200, headers: { "content-type": "application/x-protobuf" } });
    json.answer = () => ({ status: 200, headers: { "content-type": "application/json" }, body: "{}" });
    const fast = { pollMs: 200, retry: { minDelayMs: 200, maxDelayMs: 1000 } };
    lab = await startLab(dir.path, tag, [
      { kind: "otlp", name: "otlp-proto", url: `${await proto.start()}/v1/metrics`, ...fast },
      { kind: "otlp", name: "otlp-json", encoding: "json", url: `${await json.start()}/v1/metrics`, ...fast },
    ]);
  });

  after(async () => {
    await killAll();
    await proto.stop();
    await json.stop();
    dir.remove();
  });

  const decoded = (r: SinkReceiver, enc: "protobuf" | "json"): DecodedPoint[] => r.accepted().flatMap((q) => otlpPoints(enc === "json" ? JSON.parse(q.body.toString("utf8")) : new Uint8Array(q.body)));

  async function checkLo(r: SinkReceiver, enc: "protobuf" | "json"): Promise<number> {
    const stored = await waitFor(async () => {
      const s = await storedLo(lab, 0, Date.now() - 1000, "ns");
      return s.size >= 4 ? s : undefined;
    }, 60_000, "4 stored points of lo");
    const last = [...stored.keys()].reduce((a, b) => (b > a ? b : a), 0n);
    const lo = (): DecodedPoint[] => decoded(r, enc).filter((p) => p.metric === "eastwest_netdev_rx_bytes" && p.resource["agent_id"] === lab.agentId && p.attributes["interface"] === "lo");
    await waitFor(() => (lo().some((p) => p.timeNs === last) ? true : undefined), 60_000, `${enc}: the point at ${last} ns`);
    const got = new Map(lo().map((p) => [p.timeNs, p]));
    const missing = [...stored].filter(([ns, v]) => got.get(ns)?.value !== Number(v));
    assert.deepEqual(missing, [], `${enc}: stored points missing or different (of ${stored.size})`);
    for (const p of got.values()) {
      assert.deepEqual([p.type, p.monotonic, p.temporality, p.integer, p.unit, p.startNs], ["sum", true, 2, true, "By", 0n]);
      assert.equal(p.resource["service.name"], "eastwest");
      assert.ok((p.resource["host"] ?? "") !== "", "host on the resource");
      assert.equal(p.attributes["interface"], "lo");
      assert.equal("agent_id" in p.attributes || "host" in p.attributes, false, "agent_id and host are on the resource only");
    }
    return stored.size;
  }

  it("json: every stored point of lo's counter, gauges as gauges, the collector's own points too", async () => {
    const n = await checkLo(json, "json");
    assert.ok(n >= 4);
    const points = decoded(json, "json");
    const estab = points.find((p) => p.metric === "eastwest_tcp_curr_estab" && p.resource["agent_id"] === lab.agentId);
    assert.equal(estab?.type, "gauge");
    const own = await waitFor(() => decoded(json, "json").find((p) => p.metric === "eastwest_collector_sink_sent_requests" && p.attributes["sink"] === "otlp-json"), 30_000, "the sink's own counter");
    assert.equal(own.type, "sum");
    assert.equal(json.received.every((r) => r.headers["content-type"] === "application/json" && r.path === "/v1/metrics"), true);
  });

  it("protobuf: after a 503 outage with Retry-After, nothing is missing and the retries are counted", async () => {
    await waitFor(async () => ((await selfCounter(lab.api, "eastwest_collector_sink_retries_total", { sink: "otlp-proto" })) >= 2 ? true : undefined), 60_000, "retries during the outage");
    assert.equal(await selfCounter(lab.api, "eastwest_collector_sink_up", { sink: "otlp-proto" }), 0);
    down = false;
    const n = await checkLo(proto, "protobuf");
    assert.ok(n >= 4);
    assert.ok(proto.received.some((r) => r.status === 503));
    assert.equal(proto.received.every((r) => r.headers["content-type"] === "application/x-protobuf"), true);
    await waitFor(async () => ((await selfCounter(lab.api, "eastwest_collector_sink_up", { sink: "otlp-proto" })) === 1 ? true : undefined), 30_000, "up again");
    assert.equal(await selfCounter(lab.api, "eastwest_collector_sink_dropped_requests_total", { sink: "otlp-proto" }), 0);
  });
});
