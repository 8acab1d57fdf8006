// A real run over loopback between two guest-role agents on the same machine as a host agent (as the demo's
// namespace agents are): no warning about a VM that does not exist, the exit term says why it is empty, and the
// report labels iperf3's control connection instead of listing it as a data flow.
import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { defaultSpec, type RunRecord } from "../../../collector/src/run/runner.ts";
import { flowBytes, flowKind, CONTROL_MAX_BYTES } from "../../../collector/src/run/flows.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import { freePort, killAll, requireBinary, RUN_ACTIONS, start, tempDir } from "../../helpers/procs.ts";

describe("a loopback run between guest-role agents on the host's machine", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let record: RunRecord;
  const tag = `ln${process.pid}`;
  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("loopback-ns");
    const collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    try {
      const col = `127.0.0.1:${collector.grpcPort}`;
      start(["agent", "--id", `${tag}-host`, "--role", "host", "--collector", col, "--log-level", "warn"]);
      start(["agent", "--id", `${tag}-s`, "--role", "guest", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
      start(["agent", "--id", `${tag}-c`, "--role", "guest", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
      for (const id of ["host", "s", "c"]) await collector.sessions.waitFor(`${tag}-${id}`, 30_000);
      record = await collector.run(defaultSpec({ durationS: 2, port: await freePort(), server: { agentId: `${tag}-s`, interface: "lo" }, client: { agentId: `${tag}-c`, interface: "lo" }, serverAddress: "127.0.0.1" }));
    } finally {
      await killAll();
      await collector.stop();
    }
  });
  after(() => dir?.remove());

  it("does not warn about a missing VM; the exit term says the agents are not in VMs", () => {
    const r = record.results;
    assert.ok(!r.warnings.some((w) => /no host agent reports a VM/.test(w)), r.warnings.join("\n"));
    assert.match(r.model.derivations["exits_per_packet"] ?? "", new RegExp(`share their host agent's machine UUID \\(.*${tag}-s.* on ${tag}-host\\): .*not in VMs: no VM exits`));
  });

  it("lists data flows only as flows; a sampled control connection is labelled control", () => {
    const r = record.results;
    const all = [...r.server.flows, ...r.client.flows];
    const runBytes = (r.throughput.iperf3_receiver_bits_per_s * r.spec.durationS) / 8;
    const data = all.filter((f) => flowKind(f, all, runBytes) === "data");
    const control = all.filter((f) => flowKind(f, all, runBytes) === "control");
    assert.ok(data.length > 0, "the data stream was sampled");
    for (const f of data) assert.ok((flowBytes(f) ?? Infinity) >= CONTROL_MAX_BYTES, `${f.local} -> ${f.remote}: ${flowBytes(f)} B listed as data`);
    const text = formatRun(record);
    assert.equal(text.match(/: control \(iperf3's control connection, [\d,]+ B: no bulk data\)$/gm)?.length ?? 0, control.length);
    assert.match(text, /^interface packets\/s /m);
    assert.match(text, /64 KiB packets\/s\)$/m);
  });
});
