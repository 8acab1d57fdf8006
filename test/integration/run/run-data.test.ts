// `eastwest run list/show --data FILE` read runs straight from an embedded store file, as `campaign list/show`
// do: here the file of a collector that made a real run (two agents on loopback, iperf3) and then stopped.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { defaultSpec } from "../../../collector/src/run/runner.ts";
import { CLI, freePort, killAll, requireBinary, RUN_ACTIONS, start, tempDir } from "../../helpers/procs.ts";

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });

describe("run list/show --data", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    requireBinary("iperf3");
    dir = tempDir("run-data");
  });
  after(async () => {
    await killAll();
    dir?.remove();
  });

  it("lists and shows a stored run from the store file, and says so when the file is not there", async () => {
    const db = join(dir.path, "s.db");
    const collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: db } } }), silentLogger());
    await collector.start();
    let id = "";
    try {
      const col = `127.0.0.1:${collector.grpcPort}`;
      start(["agent", "--id", "rd-server", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
      start(["agent", "--id", "rd-client", "--collector", col, "--log-level", "warn", ...RUN_ACTIONS]);
      await collector.sessions.waitFor("rd-server", 30_000);
      await collector.sessions.waitFor("rd-client", 30_000);
      const record = await collector.run(defaultSpec({ durationS: 1, port: await freePort(), server: { agentId: "rd-server", interface: "lo" }, client: { agentId: "rd-client", interface: "lo" }, serverAddress: "127.0.0.1" }));
      id = record.id;
    } finally {
      await killAll();
      await collector.stop();
    }
    const list = cli(["run", "list", "--data", db]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${id}  rd-client -> rd-server  1s  \\d+\\.\\d\\d Gbit/s$`, "m"));
    const show = cli(["run", "show", id, "--data", db, "--json"]);
    assert.equal(show.status, 0, show.stderr);
    assert.equal((JSON.parse(show.stdout) as { id: string }).id, id);
    const missing = cli(["run", "list", "--data", join(dir.path, "nope.db")]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no store at .*nope\.db/);
  });
});
