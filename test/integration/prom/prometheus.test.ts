// A real Prometheus 2.42 scrapes a real collector (a real agent streaming to it) and that agent's own
// --metrics-listen (with a bearer token from a file), over OpenMetrics as Prometheus asks by default. Checked
// through Prometheus's HTTP API: both targets up, the netdev counter of lo present from both, and its rate()
// agreeing with the rate of the same counter over the same window in the points the collector stored.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, getJson, jsonLine, killAll, requireBinary, start, startProcess, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { promtoolCheck } from "./promtool.ts";

interface PromVector {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

const WINDOW_S = 60;

describe("Prometheus scrapes the collector and an agent", function () {
  this.timeout(240_000);
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const agentId = `prom-${tag}`;
  const dir = tempDir(`prom-${tag}`);
  let prom: Proc;
  let promBase = "";
  let apiBase = "";
  let agentMetrics = "";
  const token = `ewt_${tag}_secret`;
  const traffic = { stop: () => {} };

  before(async function () {
    const prometheus = requireBinary("prometheus");
    requireBinary("promtool");
    const collector = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "c.db"), "--log-level", "warn"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
    apiBase = `http://127.0.0.1:${ports.http_port}`;
    const tokenFile = join(dir.path, "agent-token");
    writeFileSync(tokenFile, `${token}\n`);
    chmodSync(tokenFile, 0o600);
    const metricsPort = await freePort();
    agentMetrics = `127.0.0.1:${metricsPort}`;
    const agent = start(["agent", "--id", agentId, "--collector", `127.0.0.1:${ports.grpc_port}`, "--metrics-listen", agentMetrics, "--metrics-token-file", tokenFile, "--log-level", "warn"]);
    await waitFor(async () => ((await fetch(`${apiBase}/api/v1/agents/${agentId}`)).ok ? true : undefined), 30_000, `agent ${agentId} at the collector`).catch((err: Error) => {
      throw new Error(`${err.message}; agent stderr: ${agent.stderr().slice(-2000)}`);
    });
    traffic.stop = steadyLoopbackTraffic(16 * 1024 * 1024);
    const promPort = await freePort();
    promBase = `http://127.0.0.1:${promPort}`;
    const credentials = join(dir.path, "prom-credentials");
    writeFileSync(credentials, token);
    chmodSync(credentials, 0o600);
    const config = join(dir.path, "prometheus.yml");
    writeFileSync(config, prometheusConfig(`127.0.0.1:${ports.http_port}`, agentMetrics, credentials));
    prom = startProcess(prometheus, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"]);
    await waitFor(async () => ((await fetch(`${promBase}/-/ready`)).ok ? true : undefined), 60_000, "prometheus ready").catch((err: Error) => {
      throw new Error(`${err.message}; prometheus: ${prom.stderr().slice(-2000)}`);
    });
  });

  after(async () => {
    traffic.stop();
    await killAll();
    dir.remove();
  });

  it("serves both formats, and the agent's endpoint wants its token", async () => {
    const plain = await fetch(`${apiBase}/metrics`);
    assert.equal(plain.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const check = promtoolCheck(requireBinary("promtool"), await plain.text());
    assert.equal(check.status, 0, check.output);
    const om = await fetch(`${apiBase}/metrics`, { headers: { accept: "application/openmetrics-text;version=1.0.0" } });
    assert.match(om.headers.get("content-type") ?? "", /^application\/openmetrics-text; version=1\.0\.0/);
    assert.match(await om.text(), /# EOF\n$/);
    assert.equal((await fetch(`http://${agentMetrics}/metrics`)).status, 401);
    const agentText = await (await fetch(`http://${agentMetrics}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const agentCheck = promtoolCheck(requireBinary("promtool"), agentText);
    assert.equal(agentCheck.status, 0, agentCheck.output);
    assert.match(agentText, new RegExp(`^eastwest_netdev_rx_bytes_total\\{agent_id="${agentId}",[^}]*interface="lo"\\} \\d+$`, "m"));
  });

  it("has both targets up and the lo counter from each", async () => {
    const up = await waitFor(async () => {
      const r = await query("up");
      const byJob = new Map(r.data.result.map((s) => [s.metric["job"], s.value[1]]));
      return byJob.get("eastwest-collector") === "1" && byJob.get("eastwest-agent") === "1" ? byJob : undefined;
    }, 60_000, "up == 1 for both jobs");
    assert.equal(up.size, 2);
    for (const job of ["eastwest-collector", "eastwest-agent"]) {
      const r = await waitFor(async () => {
        const v = await query(`eastwest_netdev_rx_bytes_total{job="${job}",agent_id="${agentId}",interface="lo"}`);
        return v.data.result.length === 1 ? v : undefined;
      }, 60_000, `the lo counter scraped by ${job}`);
      assert.ok(Number(r.data.result[0]?.value[1]) > 0);
    }
  });

  it("rate() over a minute agrees with the counter's rate in the collector's stored points", async () => {
    await waitFor(async () => {
      const r = await query(`count_over_time(eastwest_netdev_rx_bytes_total{job="eastwest-collector",agent_id="${agentId}",interface="lo"}[${WINDOW_S + 10}s])`);
      return Number(r.data.result[0]?.value[1] ?? 0) >= (WINDOW_S + 6) / 2 ? true : undefined;
    }, (WINDOW_S + 60) * 1000, `${WINDOW_S + 6} s of scrapes`);
    const atS = Math.floor(Date.now() / 1000) - 3;
    const own = await ownRate(atS);
    const out: string[] = [];
    for (const job of ["eastwest-collector", "eastwest-agent"]) {
      const r = await query(`rate(eastwest_netdev_rx_bytes_total{job="${job}",agent_id="${agentId}",interface="lo"}[${WINDOW_S}s])`, atS);
      const rate = Number(r.data.result[0]?.value[1]);
      const diff = Math.abs(rate - own) / own;
      out.push(`${job}: rate ${(rate / 1e6).toFixed(3)} MB/s, own ${(own / 1e6).toFixed(3)} MB/s, ${(diff * 100).toFixed(2)} %`);
      assert.ok(diff < 0.1, out.join("; "));
    }
    console.log(`      ${out.join("\n      ")}`);
  });

  async function query(q: string, atS?: number): Promise<PromVector> {
    const r = await getJson<PromVector>(`${promBase}/api/v1/query?query=${encodeURIComponent(q)}${atS === undefined ? "" : `&time=${atS}`}`);
    assert.equal(r.status, "success");
    return r;
  }

  /**
   * The agent's own rate of lo's received bytes over the window ending at atS, from the points the collector
   * stored: the change of rx_bytes_total between the first and last point in the window over their time apart.
   */
  async function ownRate(atS: number): Promise<number> {
    const from = BigInt(atS - WINDOW_S) * 1_000_000_000n;
    const to = BigInt(atS) * 1_000_000_000n;
    const url = `${apiBase}/api/v1/series?measurement=netdev&agent_id=${agentId}&tag.interface=lo&field=rx_bytes_total&from=${from}&to=${to}`;
    const text = await (await fetch(url)).text();
    // why: times and counters are exact JSON integers beyond 2^53; read them as bigints.
    const rows = [...text.matchAll(/\[(\d+),(\d+)\]/g)].map((m) => [BigInt(m[1] as string), BigInt(m[2] as string)] as const);
    assert.ok(rows.length >= WINDOW_S / 2, `${rows.length} points of rx_bytes_total in the window: ${text.slice(0, 300)}`);
    const [t0, v0] = rows[0] as readonly [bigint, bigint];
    const [t1, v1] = rows[rows.length - 1] as readonly [bigint, bigint];
    return (Number(v1 - v0) / Number(t1 - t0)) * 1e9;
  }
});

function prometheusConfig(collector: string, agent: string, credentials: string): string {
  return [
    "global: { scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 2s }",
    "scrape_configs:",
    "  - job_name: eastwest-collector",
    `    static_configs: [{ targets: ["${collector}"] }]`,
    "  - job_name: eastwest-agent",
    `    authorization: { type: Bearer, credentials_file: "${credentials}" }`,
    `    static_configs: [{ targets: ["${agent}"] }]`,
    "",
  ].join("\n");
}

/** UDP datagrams to ourselves on 127.0.0.1 at about bytesPerS, so lo's byte rate is steady; returns a stop. */
function steadyLoopbackTraffic(bytesPerS: number): () => void {
  const rx = createSocket("udp4");
  const tx = createSocket("udp4");
  const payload = Buffer.alloc(60_000, 7);
  let timer: NodeJS.Timeout | undefined;
  rx.on("message", () => {});
  rx.bind(0, "127.0.0.1", () => {
    const port = rx.address().port;
    const startedMs = Date.now();
    let sent = 0;
    timer = setInterval(() => {
      const due = ((Date.now() - startedMs) / 1000) * bytesPerS;
      while (sent < due) {
        tx.send(payload, port, "127.0.0.1");
        sent += payload.length;
      }
    }, 20);
  });
  return () => {
    clearInterval(timer);
    rx.close();
    tx.close();
  };
}
