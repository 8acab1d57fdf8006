// A real run (two agents on loopback, iperf3) is diagnosed when it is made: the record carries the findings
// (read with its samples), the store holds a `diagnosis` point per finding, and `eastwest run show` ends with them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { RULES } from "../../../collector/src/diagnosis/rules/index.ts";
import { defaultSpec, type RunRecord } from "../../../collector/src/run/runner.ts";
import { CLI, freePort, killAll, requireBinary, RUN_ACTIONS, start, tempDir } from "../../helpers/procs.ts";

describe("a run is diagnosed when it is made", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let record: RunRecord;
  let points: Array<{ tags: Record<string, string> }> = [];
  const tag = `dg${process.pid}`;
  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("run-diag");
    const collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    try {
      const col = `127.0.0.1:${collector.grpcPort}`;
      for (const id of ["s", "c"]) start(["agent", "--id", `${tag}-${id}`, "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
      for (const id of ["s", "c"]) await collector.sessions.waitFor(`${tag}-${id}`, 30_000);
      record = await collector.run(defaultSpec({ durationS: 2, port: await freePort(), server: { agentId: `${tag}-s`, interface: "lo" }, client: { agentId: `${tag}-c`, interface: "lo" }, serverAddress: "127.0.0.1" }));
      points = (await collector.store.query({ measurement: "diagnosis", fromNs: record.window.fromNs, toNs: record.window.toNs, tags: { run_id: record.id } })).map((s) => ({ tags: s.tags }));
    } finally {
      await killAll();
      await collector.stop();
    }
  });
  after(() => dir?.remove());

  it("the record carries one finding per rule, read with the window's samples", () => {
    const d = record.diagnosis;
    assert.ok(d);
    assert.equal(d.inputs, "run record and samples");
    assert.equal(d.findings.length, RULES.length);
    const cpu = d.findings.find((f) => f.rule === "cpu-saturated");
    assert.notEqual(cpu?.verdict, "cannot tell", cpu?.explanation);
    assert.ok(d.findings.find((f) => f.rule === "softnet-drops")?.evidence.some((e) => typeof e.value === "number"), "softnet samples were read");
  });

  it("the store holds a diagnosis point per finding, tagged with the rule and verdict", () => {
    assert.deepEqual(points.map((p) => p.tags["rule"]).sort(), RULES.map((r) => r.id).sort());
    for (const p of points) assert.equal(p.tags["verdict"], record.diagnosis?.findings.find((f) => f.rule === p.tags["rule"])?.verdict);
  });

  it("`eastwest run show` ends with the findings", () => {
    const show = spawnSync(process.execPath, [CLI, "run", "show", record.id, "--data", join(dir.path, "s.db")], { encoding: "utf8", timeout: 60_000 });
    assert.equal(show.status, 0, show.stderr);
    const tail = show.stdout.slice(show.stdout.indexOf("\ndiagnosis (engine "));
    assert.match(tail, /^\ndiagnosis \(engine \d+; run record and samples\):\n {2}\S/);
    assert.match(tail, /\n {2}cannot tell vm-thread: vm_thread unavailable: /);
  });
});
