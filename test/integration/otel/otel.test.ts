// Self-instrumentation end to end: a collector in this process and two agent
// processes on loopback run one short iperf3 run. With otlp.endpoint set the
// receiver gets a "run" span with a child span per agent command and the
// pipeline counters; without it no request reaches the receiver and the run works.
import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { defaultSpec, type RunRecord } from "../../../collector/src/run/runner.ts";
import { freePort, RUN_ACTIONS, killAll, requireBinary, start, tempDir, type Proc } from "../../helpers/procs.ts";
import { OtlpReceiver } from "./receiver.ts";

interface Lab {
  collector: Collector;
  agents: Proc[];
}

/** A collector (otlp section as given) and agents `${prefix}-server`, `${prefix}-client`, all connected. */
async function startLab(dir: string, prefix: string, otlpEndpoint?: string): Promise<Lab> {
  const otlp = otlpEndpoint ? { endpoint: otlpEndpoint } : {};
  const config = loadCollectorConfig({ env: {}, flags: { id: `${prefix}-collector`, grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir, `${prefix}.db`) }, otlp } });
  const collector = new Collector(config, silentLogger());
  await collector.start();
  // why: an OTLP endpoint in the test runner's environment must not leak into the agents.
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "" };
  const agents = ["server", "client"].map((role) => {
    const args = ["agent", "--id", `${prefix}-${role}`, "--collector", `127.0.0.1:${collector.grpcPort}`, "--log-level", "silent", "--interval-ms", "200", ...RUN_ACTIONS];
    return start(otlpEndpoint ? [...args, "--otlp-endpoint", otlpEndpoint] : args, { env });
  });
  for (const role of ["server", "client"]) await collector.sessions.waitFor(`${prefix}-${role}`, 20_000);
  return { collector, agents };
}

async function oneRun(lab: Lab, prefix: string): Promise<RunRecord> {
  const spec = defaultSpec({ durationS: 1, port: await freePort(), server: { agentId: `${prefix}-server`, interface: "lo" }, client: { agentId: `${prefix}-client`, interface: "lo" }, serverAddress: "127.0.0.1", sampleIntervalMs: 100 });
  return lab.collector.run(spec);
}

/** Agents get SIGTERM (they flush their telemetry on the way out), then the collector stops (it flushes too). */
async function stopLab(lab: Lab): Promise<void> {
  for (const a of lab.agents) assert.equal(await a.kill("SIGTERM"), 0, `agent exited non-zero: ${a.stderr().slice(-500)}`);
  await lab.collector.stop();
}

describe("OpenTelemetry self-instrumentation", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let receiver: OtlpReceiver;
  let endpoint: string;
  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("otel");
    receiver = new OtlpReceiver();
    endpoint = await receiver.start();
  });
  beforeEach(() => receiver.requests.splice(0));
  afterEach(() => killAll());
  after(async () => {
    await receiver.stop();
    dir.remove();
  });

  it("with otlp.endpoint: a run span with a child span per agent command, and pipeline metrics", async () => {
    const lab = await startLab(dir.path, "otel", endpoint);
    const record = await oneRun(lab, "otel");
    await stopLab(lab);

    assert.ok(receiver.requests.length > 0, "the receiver got no request");
    for (const r of receiver.requests) assert.match(r.contentType, /application\/json/, `${r.path} sent ${r.contentType}`);
    const spans = receiver.spans();
    const run = spans.find((s) => s.name === "run" && s.attributes["run.id"] === record.id);
    assert.ok(run, `no "run" span for ${record.id}; got ${spans.map((s) => s.name).join(", ")}`);
    assert.equal(run.service, "eastwest-collector");
    const children = spans.filter((s) => s.parentSpanId === run.spanId && s.traceId === run.traceId);
    const kinds = new Set(children.map((s) => s.attributes["command.kind"]));
    for (const kind of ["setInterval", "watchFlows", "iperf3Server", "iperf3Client"]) assert.ok(kinds.has(kind), `no child span for ${kind}; got ${[...kinds].join(", ")}`);
    for (const c of children) {
      assert.equal(c.name, `command ${c.attributes["command.kind"]}`);
      assert.match(String(c.attributes["agent.id"]), /^otel-(server|client)$/);
      assert.equal(c.attributes["run.id"], record.id);
      // why: a profile is optional; these agents do not allow it (actions.profile), so they refuse it, the span
      // says so, and the run records the profile as unavailable.
      if (c.attributes["command.kind"] === "collectProfile") continue;
      assert.notEqual(c.statusCode, 2, `${c.name} on ${c.attributes["agent.id"]} ended with status ERROR`);
    }
    const ends = record.results.profile?.ends ?? [];
    assert.ok(ends.length === 2 && ends.every((e) => /^unavailable: refused/.test(e.status)), JSON.stringify(ends.map((e) => e.status)));

    const received = receiver.latest("eastwest-collector", "eastwest.pipeline.batches_received") ?? 0;
    const stored = receiver.latest("eastwest-collector", "eastwest.pipeline.batches_stored") ?? 0;
    assert.ok(received > 0 && stored > 0, `batches_received=${received} batches_stored=${stored}`);
    assert.ok(stored <= received);
    assert.equal(receiver.latest("eastwest-collector", "eastwest.pipeline.store_errors"), 0);
    assert.ok((receiver.latest("eastwest-agent", "eastwest.agent.batches_acked") ?? 0) > 0, "no agent outbox metrics");
  });

  it("without otlp: the run works and no request reaches the receiver", async () => {
    const lab = await startLab(dir.path, "plain");
    const record = await oneRun(lab, "plain");
    await stopLab(lab);
    assert.ok(record.results.throughput.iperf3_receiver_bits_per_s > 0);
    assert.deepEqual(receiver.requests.map((r) => r.path), []);
  });
});
