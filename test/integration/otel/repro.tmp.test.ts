import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector, loadCollectorConfig } from "../../../collector/src/index.ts";
import { defaultSpec } from "../../../collector/src/run/runner.ts";
import { freePort, RUN_ACTIONS, killAll, start, tempDir } from "../../helpers/procs.ts";

describe("repro: setInterval under load", function () {
  this.timeout(600_000);
  it("runs", async () => {
    const dir = tempDir("repro");
    for (let i = 0; i < Number(process.env.N ?? 10); i++) {
      const config = loadCollectorConfig({ env: {}, flags: { id: `r-collector`, grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, `r${i}.db`) } } });
      const collector = new Collector(config, silentLogger());
      await collector.start();
      const agents = ["server", "client"].map((role) => start(["agent", "--id", `r${i}-${role}`, "--collector", `127.0.0.1:${collector.grpcPort}`, "--log-level", "debug", "--interval-ms", "200", ...RUN_ACTIONS], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: "" } }));
      for (const role of ["server", "client"]) await collector.sessions.waitFor(`r${i}-${role}`, 20_000);
      const t0 = Date.now();
      try {
        const spec = defaultSpec({ durationS: 1, port: await freePort(), server: { agentId: `r${i}-server`, interface: "lo" }, client: { agentId: `r${i}-client`, interface: "lo" }, serverAddress: "127.0.0.1", sampleIntervalMs: 100 });
        await collector.run(spec);
        console.log(`iteration ${i}: ok in ${Date.now() - t0} ms`);
      } catch (err) {
        console.log(`iteration ${i}: FAILED after ${Date.now() - t0} ms: ${String(err)} (t0 ${t0})`);
        for (const a of agents) console.log(a.stderr().split("\n").filter((l) => /starv|idle|sched|command|setInterval|slow|warn/i.test(l)).slice(-40).join("\n"));
      }
      for (const a of agents) await a.kill("SIGTERM");
      await collector.stop();
      killAll();
    }
    dir.remove();
  });
});
