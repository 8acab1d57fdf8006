// Figures, not a test: GET /metrics of a collector holding the latest points of N agents, each a copy of one real
// agent's series (a real collector and agent run for a few seconds first). Prints series, bytes (plain, gzip) and
// the median time of GET /metrics against GET /api/v1/latest of the same rows.
//   cd test && node integration/prom/scale.ts [N ...]      (default 1 10 100 330)
import { request } from "node:http";
import { join } from "node:path";
import { silentLogger, type Sample } from "@eastwest/common";
import { startHttpApi } from "../../../collector/src/http/server.ts";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { jsonLine, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";

const counts = process.argv.slice(2).map(Number);
const dir = tempDir("prom-scale");
try {
  const rows = await oneAgentsRows();
  console.log(`one agent: ${rows.length} series (measurement + tag set)`);
  for (const n of counts.length > 0 ? counts : [1, 10, 100, 330]) await measure(n, rows);
} finally {
  await killAll();
  dir.remove();
}

async function oneAgentsRows(): Promise<Sample[]> {
  const db = join(dir.path, "real.db");
  const collector = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", db, "--log-level", "warn"]);
  const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
  const agent = start(["agent", "--id", "scale-agent", "--collector", `127.0.0.1:${ports.grpc_port}`, "--log-level", "warn"]);
  await waitFor(async () => {
    const r = (await (await fetch(`http://127.0.0.1:${ports.http_port}/api/v1/latest?measurement=softnet&agent_id=scale-agent`)).json()) as { rows: unknown[] };
    return r.rows.length > 0 ? true : undefined;
  }, 60_000, "the agent's points");
  await new Promise((r) => setTimeout(r, 5000));
  await agent.kill();
  await collector.kill();
  const store = new EmbeddedStore(db);
  await store.open();
  const rows = (await store.latest({})).filter((r) => r.tags["agent_id"] === "scale-agent");
  await store.close();
  return rows.map((r) => ({ measurement: r.measurement, tags: r.tags, fields: r.fields, timeNs: r.timeNs }));
}

async function measure(n: number, rows: Sample[]): Promise<void> {
  const store = new EmbeddedStore(join(dir.path, `n${n}.db`));
  await store.open();
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let a = 0; a < n; a++) {
    const points = rows.map((r) => ({ ...r, tags: { ...r.tags, agent_id: `agent-${a}` }, timeNs: now }));
    await store.writeBatch({ agentId: `agent-${a}`, seq: 1n, points, receivedNs: now });
  }
  const api = await startHttpApi({ store, registry: new Registry(store), host: "127.0.0.1", port: 0, logger: silentLogger() });
  const timed = async (path: string, headers: Record<string, string> = {}) => {
    const times: number[] = [];
    let body: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      body = await get(api.port, path, headers);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    return { ms: times[2] as number, bytes: body.length, text: body.toString() };
  };
  const prom = await timed("/metrics");
  const gzBytes = (await get(api.port, "/metrics", { "accept-encoding": "gzip" })).length;
  const om = await timed("/metrics", { accept: "application/openmetrics-text" });
  const latest = await timed("/api/v1/latest");
  const series = /^eastwest_metrics_series\{[^}]*\} (\d+)$/m.exec(prom.text)?.[1];
  const truncated = /^eastwest_metrics_truncated_series\{[^}]*\} (\d+)$/m.exec(prom.text)?.[1];
  console.log(
    `N=${n}: ${series} series (truncated ${truncated}), text ${prom.bytes} B (gzip ${gzBytes} B), ` +
      `GET /metrics ${prom.ms.toFixed(0)} ms (OpenMetrics ${om.ms.toFixed(0)} ms), GET /api/v1/latest ${latest.ms.toFixed(0)} ms (${latest.bytes} B): ratio ${(prom.ms / latest.ms).toFixed(2)}`,
  );
  await api.close();
  await store.close();
}

/** The body as sent (no decompression): node:http, not fetch, which asks for gzip on its own. */
function get(port: number, path: string, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
