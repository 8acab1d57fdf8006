// Real time-series servers for integration tests: Debian's victoria-metrics and
// influxd (1.x), each on random loopback ports in a temp dir, killed by pid.
import { join } from "node:path";
import { parseExact } from "../../collector/src/store/json.ts";
import { freePort, requireBinary, startProcess, tempDir, waitFor, type Proc } from "./procs.ts";

interface Server {
  url: string;
  proc: Proc;
  /** Kills the server (by pid) and removes its directory; safe twice. */
  stop(): Promise<void>;
}

/** One series as /api/v1/export answers it (one JSON object per line). */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetrics extends Server {
  /** Series matching a selector, e.g. {__name__=~"netdev_.*",agent_id="a"}; flushes recent writes first. */
  exportSeries(selector: string): Promise<ExportedSeries[]>;
}

export interface Influxd extends Server {
  /** Its meta, data and wal directories are under this one. */
  dir: string;
  /** Runs InfluxQL; times come back as epoch ns, integers beyond 2^53 as bigint. Rejects on an HTTP or statement error. */
  query(q: string, db?: string): Promise<InfluxQlResult>;
}

export interface InfluxQlSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxQlResult {
  series: InfluxQlSeries[];
}

function stopper(proc: Proc, dir: { remove(): void }): () => Promise<void> {
  return async () => {
    await proc.kill("SIGTERM");
    dir.remove();
  };
}

async function waitHttp(url: string, proc: Proc, what: string): Promise<void> {
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`process exited ${proc.child.exitCode}: ${proc.stderr().slice(-2000)}`);
      const res = await fetch(url);
      await res.arrayBuffer();
      return res.ok ? true : undefined;
    },
    30_000,
    what,
  );
}

/**
 * victoria-metrics with -search.latencyOffset=1s and -dedup.minScrapeInterval=1ms (a resent sample
 * with the same timestamp is kept once, as InfluxDB would overwrite it).
 */
export async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  const bin = requireBinary("victoria-metrics");
  const port = await freePort();
  const dir = tempDir("vm");
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess(bin, [
    `-storageDataPath=${join(dir.path, "data")}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    "-search.latencyOffset=1s",
    "-dedup.minScrapeInterval=1ms",
    "-loggerLevel=ERROR",
  ]);
  await waitHttp(`${url}/health`, proc, "victoria-metrics /health");
  return {
    url,
    proc,
    stop: stopper(proc, dir),
    async exportSeries(selector) {
      const flushed = await fetch(`${url}/internal/force_flush`);
      await flushed.arrayBuffer();
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ "match[]": selector })}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`export ${selector}: HTTP ${res.status}: ${text}`);
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as ExportedSeries);
    },
  };
}

/**
 * influxd 1.x with its own meta/data/wal dirs, no reporting, no _internal monitor database. `again`: start on the
 * url and directory of one that was stopped (the fault suite's outage); the directory is then the caller's.
 */
export async function startInfluxd(again?: { url: string; dir: string }): Promise<Influxd> {
  const bin = requireBinary("influxd");
  const [httpPort, rpcPort] = [again ? Number(new URL(again.url).port) : await freePort(), await freePort()];
  const dir = again ? { path: again.dir, remove: () => undefined } : tempDir("influxd");
  const url = `http://127.0.0.1:${httpPort}`;
  const env = {
    INFLUXDB_REPORTING_DISABLED: "true",
    INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort}`,
    INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${httpPort}`,
    INFLUXDB_META_DIR: join(dir.path, "meta"),
    INFLUXDB_DATA_DIR: join(dir.path, "data"),
    INFLUXDB_DATA_WAL_DIR: join(dir.path, "wal"),
    INFLUXDB_MONITOR_STORE_ENABLED: "false",
    INFLUXDB_HTTP_LOG_ENABLED: "false",
    INFLUXDB_DATA_QUERY_LOG_ENABLED: "false",
  };
  // why: -config /dev/null keeps the package's /etc/influxdb/influxdb.conf out; the env sets the rest.
  const proc = startProcess(bin, ["run", "-config", "/dev/null"], { env });
  await waitHttp(`${url}/ping`, proc, "influxd /ping");
  return {
    url,
    dir: dir.path,
    proc,
    stop: stopper(proc, dir),
    async query(q, db) {
      const params = new URLSearchParams({ q, epoch: "ns" });
      if (db !== undefined) params.set("db", db);
      const res = await fetch(`${url}/query`, { method: "POST", body: params });
      const text = await res.text();
      if (!res.ok) throw new Error(`influxql ${q}: HTTP ${res.status}: ${text}`);
      const body = parseExact(text) as { results: Array<{ error?: string; series?: InfluxQlSeries[] }> };
      const r = body.results[0];
      if (r?.error) throw new Error(`influxql ${q}: ${r.error}`);
      return { series: r?.series ?? [] };
    },
  };
}
