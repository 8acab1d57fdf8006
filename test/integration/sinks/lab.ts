// The sinks' integration lab: a collector process with a sinks list (config file), one agent process streaming to
// it, and the ways the tests read both sides: the collector's own counters (GET /metrics), the stored points of a
// series (HTTP API, exact integers), and a real Prometheus with --web.enable-remote-write-receiver that can be
// stopped and started again on the same port and TSDB directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, getJson, jsonLine, requireBinary, start, startProcess, waitFor, type Proc } from "../../helpers/procs.ts";

export interface Lab {
  api: string;
  collector: Proc;
  agent: Proc;
  agentId: string;
  /** The collector's arguments (fixed ports, same config and data file), for a restart. */
  collectorArgs: string[];
}

/** SIGTERM to the collector, then the same collector again (same ports, config and store); the agent reconnects. */
export async function restartCollector(lab: Lab): Promise<number | null> {
  const code = await lab.collector.kill("SIGTERM");
  lab.collector = start(lab.collectorArgs);
  await jsonLine(lab.collector);
  return code;
}

/** A collector with these sinks (selfIntervalMs 500) and one agent sampling every 500 ms, connected. */
export async function startLab(dir: string, tag: string, sinks: unknown[], shutdownTimeoutMs = 10_000): Promise<Lab> {
  const config = join(dir, "collector.json");
  writeFileSync(config, JSON.stringify({ collector: { id: `c-${tag}`, selfIntervalMs: 500, logLevel: "warn", shutdownTimeoutMs, sinks } }));
  const collectorArgs = ["collector", "-c", config, "--grpc-port", String(await freePort()), "--http-port", String(await freePort()), "--data", join(dir, "c.db")];
  const collector = start(collectorArgs);
  const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
  const api = `http://127.0.0.1:${ports.http_port}`;
  const agentId = `sink-${tag}`;
  const agent = start(["agent", "--id", agentId, "--collector", `127.0.0.1:${ports.grpc_port}`, "--interval-ms", "500", "--log-level", "warn"]);
  await waitFor(async () => ((await fetch(`${api}/api/v1/agents/${agentId}`)).ok ? true : undefined), 30_000, `agent ${agentId} at the collector`).catch((err: Error) => {
    throw new Error(`${err.message}; agent: ${agent.stderr().slice(-1500)}; collector: ${collector.stderr().slice(-1500)}`);
  });
  return { api, collector, agent, agentId, collectorArgs };
}

/** A counter of the collector's own metrics (GET /metrics), e.g. eastwest_collector_sink_retries_total{sink="p"}; 0 when absent. */
export async function selfCounter(api: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

/** The stored points of lo's rx_bytes_total of the agent: time ms (or ns) -> value (exact). */
export async function storedLo(lab: Lab, fromMs: number, toMs: number, unit: "ms" | "ns" = "ms"): Promise<Map<bigint, bigint>> {
  const url = `${lab.api}/api/v1/series?measurement=netdev&agent_id=${lab.agentId}&tag.interface=lo&field=rx_bytes_total&from=${BigInt(fromMs) * 1_000_000n}&to=${BigInt(toMs) * 1_000_000n}`;
  const text = await (await fetch(url)).text();
  const div = unit === "ms" ? 1_000_000n : 1n;
  return new Map([...text.matchAll(/\[(\d+),(\d+)\]/g)].map((m) => [BigInt(m[1] as string) / div, BigInt(m[2] as string)]));
}

export interface Prometheus {
  url: string;
  proc: Proc;
  /** SIGTERM; the TSDB stays for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and TSDB. */
  start(): Promise<void>;
  /** Raw samples of a selector over the last rangeS at atS: time ms -> value. */
  samples(selector: string, rangeS: number, atS?: number): Promise<Map<bigint, string>>;
}

export async function startPrometheus(dir: string): Promise<Prometheus> {
  const bin = requireBinary("prometheus");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, "global:\n  scrape_interval: 1m\n");
  const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`, "--web.enable-remote-write-receiver", "--log.level=warn"];
  const p: Prometheus = {
    url,
    proc: startProcess(bin, args),
    async stop() {
      await p.proc.kill("SIGTERM");
    },
    async start() {
      p.proc = startProcess(bin, args);
      await ready();
    },
    async samples(selector, rangeS, atS) {
      const q = `${selector}[${rangeS}s]`;
      const r = await getJson<{ data: { result: Array<{ values: Array<[number, string]> }> } }>(`${url}/api/v1/query?query=${encodeURIComponent(q)}${atS === undefined ? "" : `&time=${atS}`}`);
      return new Map((r.data.result[0]?.values ?? []).map(([t, v]) => [BigInt(Math.round(t * 1000)), v]));
    },
  };
  async function ready(): Promise<void> {
    await waitFor(async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000, "prometheus ready").catch((err: Error) => {
      throw new Error(`${err.message}; prometheus: ${p.proc.stderr().slice(-2000)}`);
    });
  }
  await ready();
  return p;
}
