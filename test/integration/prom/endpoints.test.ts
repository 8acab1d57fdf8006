// GET /metrics of the collector's HTTP API over a real embedded store (series count, staleness, the maxSeries cut
// and its log line, gzip, HEAD, off, tokens beyond loopback), and the agent's --metrics-listen address rules
// through the real CLI (exit 78 beyond loopback without a token file or --metrics-insecure).
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { join } from "node:path";
import { pino } from "pino";
import { silentLogger } from "@eastwest/common";
import { startHttpApi, type HttpApi } from "../../../collector/src/http/server.ts";
import { TokenAuth } from "../../../collector/src/http/auth.ts";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { PROMETHEUS_DEFAULTS, type PrometheusConfig } from "../../../collector/src/http/prometheus.ts";
import { requireBinary, start, tempDir } from "../../helpers/procs.ts";
import { parseExposition } from "../../unit/prom/parse.ts";
import { schemaPoints } from "../../unit/prom/rows.ts";
import { promtoolCheck } from "./promtool.ts";

const NOW = 1_800_000_000_000_000_000n;
const MIN = 60_000_000_000n;

describe("collector GET /metrics over a real store", function () {
  this.timeout(60_000);
  const dir = tempDir("prom-endpoints");
  let store: EmbeddedStore;
  const apis: HttpApi[] = [];
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    store = new EmbeddedStore({ path: join(dir.path, "s.db"), clock: () => NOW });
    await store.open();
    const fresh = schemaPoints(2, NOW - MIN);
    const old = schemaPoints(1, NOW - 10n * MIN).map((p) => ({ ...p, tags: Object.fromEntries(Object.entries(p.tags).map(([k, v]) => [k, `old-${v}`])) }));
    const points = [...fresh, ...old];
    await store.writeBatch({ agentId: "w", seq: 1n, points: points.map((p) => ({ ...p, tags: { ...p.tags }, fields: { ...p.fields } })), receivedNs: NOW });
  });
  after(async () => {
    for (const a of apis) await a.close();
    await store.close();
    dir.remove();
  });

  async function api(prometheus: PrometheusConfig, host = "127.0.0.1", auth?: TokenAuth): Promise<string> {
    const out = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), cb()) });
    const logger = pino({ level: "info" }, out);
    const a = await startHttpApi({ store, registry: new Registry(store), host, port: 0, logger, clock: () => NOW, prometheus, collectorId: "c9", ...(auth ? { auth } : {}) });
    apis.push(a);
    return `http://127.0.0.1:${a.port}`;
  }

  it("exposes every fresh series once, leaves out the stale, and passes promtool", async () => {
    const base = await api(PROMETHEUS_DEFAULTS);
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const check = promtoolCheck(requireBinary("promtool"), text);
    assert.equal(check.status, 0, check.output);
    const samples = parseExposition(text, "text").flatMap((f) => f.samples);
    const meta = (n: string) => samples.find((s) => s.name === `eastwest_metrics_${n}`);
    assert.equal(meta("series")?.labels["collector_id"], "c9");
    assert.equal(samples.length - 4, meta("series")?.value);
    assert.ok((meta("stale_series")?.value ?? 0) > 0, "the 10-minute-old points are stale");
    assert.ok(!samples.some((s) => Object.values(s.labels).some((v) => v.startsWith("old-"))), "no stale series");
    assert.equal(meta("truncated_series")?.value, 0);
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("cuts at maxSeries, says so in the exposition and the log, the same cut each time", async () => {
    const base = await api({ ...PROMETHEUS_DEFAULTS, maxSeries: 50 });
    const a = await (await fetch(`${base}/metrics`)).text();
    const b = await (await fetch(`${base}/metrics`)).text();
    assert.equal(a, b);
    const samples = parseExposition(a, "text").flatMap((f) => f.samples);
    assert.equal(samples.length, 54);
    assert.ok((samples.find((s) => s.name === "eastwest_metrics_truncated_series")?.value ?? 0) > 0);
    assert.ok(lines.some((l) => String(l["msg"]).includes("prometheus.maxSeries") && Number(l["series"]) === 50), JSON.stringify(lines.slice(-3)));
  });

  it("compresses when asked and negotiates OpenMetrics", async () => {
    const base = await api(PROMETHEUS_DEFAULTS);
    const res = await fetch(`${base}/metrics`, { headers: { "accept-encoding": "gzip", accept: "application/openmetrics-text; version=1.0.0" } });
    assert.match(res.headers.get("content-type") ?? "", /^application\/openmetrics-text; version=1\.0\.0/);
    const plain = await (await fetch(`${base}/metrics`, { headers: { accept: "application/openmetrics-text" } })).text();
    assert.ok(plain.endsWith("# EOF\n"));
    // why: fetch gunzips on its own; the header says the wire was compressed.
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(await res.text(), plain);
  });

  it("is off with prometheus.enabled: false, and needs a read token beyond loopback", async () => {
    assert.equal((await fetch(`${await api({ ...PROMETHEUS_DEFAULTS, enabled: false })}/metrics`)).status, 404);
    const auth = new TokenAuth({ file: "", extra: [], openRead: false, insecure: false, logger: silentLogger() });
    const res = await fetch(`${await api(PROMETHEUS_DEFAULTS, "127.0.0.1", auth)}/metrics`);
    assert.equal(res.status, 401);
  });
});

describe("agent --metrics-listen address rules (real CLI)", function () {
  this.timeout(60_000);
  const dir = tempDir("prom-agent-cfg");
  after(() => dir.remove());

  async function agent(args: string[]): Promise<{ code: number | null; err: string; out: string }> {
    const p = start(["agent", "--id", "prom-cfg", ...args, "--print-config"]);
    const code = await p.exited;
    return { code, err: p.stderr(), out: p.stdout() };
  }

  it("refuses a non-loopback address without a token file or --metrics-insecure (exit 78)", async () => {
    const r = await agent(["--metrics-listen", "0.0.0.0:9471"]);
    assert.equal(r.code, 78, r.err);
    assert.match(r.err, /metrics\.listen.*0\.0\.0\.0:9471 is not a loopback address: set metrics\.tokenFile/s);
  });

  it("accepts loopback, a token file, or --metrics-insecure", async () => {
    for (const extra of [["--metrics-listen", "127.0.0.1:9471"], ["--metrics-listen", "[::1]:9471"], ["--metrics-listen", "0.0.0.0:9471", "--metrics-token-file", join(dir.path, "t")], ["--metrics-listen", "0.0.0.0:9471", "--metrics-insecure"]]) {
      const r = await agent(extra);
      assert.equal(r.code, 0, `${extra.join(" ")}: ${r.err}`);
      assert.match(r.out, /"listen": ?"(127\.0\.0\.1|\[::1\]|0\.0\.0\.0):9471"/);
    }
  });

  it("a token file open to others stops the start (exit 78)", async () => {
    const file = join(dir.path, "loose-token");
    writeFileSync(file, "tok\n");
    chmodSync(file, 0o644);
    const p = start(["agent", "--id", "prom-cfg2", "--collector", "127.0.0.1:1", "--metrics-listen", "127.0.0.1:0", "--metrics-token-file", file, "--log-level", "warn"]);
    const code = await p.exited;
    assert.equal(code, 78, p.stderr());
    assert.match(p.stderr(), /metrics\.tokenFile .*must not be readable or writable by group or others/);
  });
});
