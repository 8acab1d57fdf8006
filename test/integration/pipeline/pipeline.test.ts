// Collector + agent as real processes on loopback: samples arrive and are
// stored; kill -9 of the collector mid-stream loses and duplicates nothing.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeBatch } from "@eastwest/proto/wire";
import { readSpoolDir } from "../../../agent/src/runtime/spool-restore.ts";
import { freePort, getJson, jsonLine, killAll, start, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

interface Agents {
  agents: Array<{ agentId: string; highestSeq: number; connected: boolean; cpuModel?: string; toolVersions?: Record<string, string>; capabilities: Array<{ sampler: string; available: boolean; reason: string }> }>;
}
interface AgentDetail {
  agent: { agentId: string; highestSeq: number };
  gaps: Array<{ from: number; to: number }>;
}
const LIMITS = { maxTagValueLength: 1 << 20, maxStringFieldLength: 1 << 20 };

interface SeriesResp {
  series: Array<{ tags: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

function agentConfig(dir: string, id: string, grpcPort: number): string {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(
    file,
    [
      "agent:",
      `  id: ${id}`,
      "  intervalMs: 100",
      `  collector: { address: "127.0.0.1:${grpcPort}", backoffMinMs: 50, backoffMaxMs: 300 }`,
      "  batch: { maxPoints: 200, maxDelayMs: 50 }",
      "  samplers:",
      "    netstate: { enabled: false }",
      "    tcpinfo: { enabled: false }",
      "",
    ].join("\n"),
  );
  return file;
}

async function startCollector(dataFile: string, grpcPort = 0, httpPort = 0, env?: Record<string, string>): Promise<{ proc: Proc; grpc: number; http: string }> {
  const proc = start(["collector", "--grpc-port", String(grpcPort), "--http-port", String(httpPort), "--data", dataFile, "--log-level", "warn"], env === undefined ? {} : { env });
  const ports = await jsonLine<{ grpc_port: number; http_port: number }>(proc);
  return { proc, grpc: ports.grpc_port, http: `http://127.0.0.1:${ports.http_port}` };
}

describe("pipeline: agent -> gRPC -> collector -> embedded store", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("pipeline")));
  afterEach(async () => {
    await killAll();
    dir.remove();
  });

  it("stores this host's samples and serves them over the HTTP API", async () => {
    const c = await startCollector(join(dir.path, "store.db"));
    start(["agent", "--config", agentConfig(dir.path, "host-a", c.grpc), "--log-level", "warn"]);
    const latest = await waitFor(async () => {
      const r = await getJson<{ rows: Array<{ measurement: string; tags: Record<string, string>; fields: Record<string, unknown> }> }>(`${c.http}/api/v1/latest?measurement=cpu&agent_id=host-a`);
      return r.rows.length > 0 ? r.rows : undefined;
    }, 30_000, "cpu samples in the store");
    const all = latest.find((r) => r.tags["cpu"] === "all");
    assert.ok(all, "a total cpu row");
    assert.equal(all.tags["agent_id"], "host-a");
    const agents = await getJson<Agents>(`${c.http}/api/v1/agents`);
    const a = agents.agents.find((x) => x.agentId === "host-a");
    assert.ok(a && a.connected, "agent registered and connected");
    assert.ok(a.capabilities.some((cap) => cap.sampler === "netdev" && cap.available));
    // identity for reproducibility manifests: the CPU model and tool versions travel in the hello
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    assert.equal(a.cpuModel, /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "");
    assert.match(a.toolVersions?.["iperf3"] ?? "", /^iperf 3/);
    const series = await waitFor(async () => {
      const s = await getJson<SeriesResp>(`${c.http}/api/v1/series?measurement=netdev&from=-5m&to=now&tag.agent_id=host-a&tag.interface=lo`);
      return s.series.length > 0 && (s.series[0]?.values.length ?? 0) >= 2 ? s.series : undefined;
    }, 30_000, "two netdev samples of lo");
    assert.ok(series[0]?.columns.includes("rx_bytes_total"));
  });

  for (const writer of ["inline", "thread"]) it(`loses and duplicates nothing across kill -9 and restart of the collector (store.writer ${writer})`, async () => {
    const data = join(dir.path, "store.db");
    const grpcPort = await freePort();
    const env = { EASTWEST_STORE_WRITER: writer };
    let c = await startCollector(data, grpcPort, 0, env);
    start(["agent", "--config", agentConfig(dir.path, "host-k", grpcPort), "--log-level", "error"]);
    const seqAt = async (http: string) => (await getJson<AgentDetail>(`${http}/api/v1/agents/host-k`)).agent.highestSeq;
    await waitFor(async () => ((await seqAt(c.http)) >= 5 ? true : undefined), 30_000, "5 batches stored");
    await c.proc.kill("SIGKILL");
    const beforeRestart = Date.now();
    c = await startCollector(data, grpcPort, 0, env);
    const restartedAt = await seqAt(c.http).catch(() => 0);
    // The agent buffered while the collector was down and resends; wait for progress past that.
    await waitFor(async () => ((await seqAt(c.http)) >= restartedAt + 10 ? true : undefined), 30_000, "batches after restart");
    assert.ok(Date.now() - beforeRestart < 30_000);
    const detail = await getJson<AgentDetail>(`${c.http}/api/v1/agents/host-k`);
    assert.deepEqual(detail.gaps, [], `no seq missing: ${JSON.stringify(detail.gaps)}`);
    // Each sampler tick is one point per series and time: a duplicated batch would repeat (series, time).
    const s = await getJson<SeriesResp>(`${c.http}/api/v1/series?measurement=eastwest_sampler&from=-10m&to=now&tag.agent_id=host-k`);
    assert.ok(s.series.length >= 3);
    for (const series of s.series) {
      const times = series.values.map((row) => String(row[0]));
      assert.equal(new Set(times).size, times.length, `duplicate points in ${JSON.stringify(series.tags)}`);
    }
  });

  it("an agent stopped while the collector is down keeps its batches in the spool; the next start sends them first, under their seqs", async () => {
    const grpcPort = await freePort();
    const spoolDir = join(dir.path, "spool");
    const env = { EASTWEST_SPOOL_DIR: spoolDir };
    const config = agentConfig(dir.path, "host-s", grpcPort);
    const firstNs = BigInt(Date.now()) * 1_000_000n;
    const first = start(["agent", "--config", config, "--log-level", "warn"], { env });
    const agentDir = join(spoolDir, "host-s");
    await waitFor(() => (readSpoolDir(agentDir, false).records.length >= 3 ? true : undefined), 30_000, "3 batches in the spool");
    assert.equal(await first.kill("SIGTERM"), 0, first.stderr());
    const stoppedNs = BigInt(Date.now()) * 1_000_000n;
    const spool = readSpoolDir(agentDir);
    assert.deepEqual([spool.problems, spool.torn], [[], []]);
    const spooled = spool.records.length;
    assert.deepEqual(spool.records.map((r) => r.seq), Array.from({ length: spooled }, (_, i) => BigInt(i + 1)), "numbered from 1 as made, the collector down");
    const cpuAll = spool.records.flatMap((r) => decodeBatch(r.bytes, LIMITS).points).filter((p) => p.measurement === "cpu" && p.tags["cpu"] === "all").length;
    assert.ok(cpuAll >= 2, `cpu points in the spool: ${cpuAll}`);
    assert.match(first.stderr(), /unacked batches stay in the spool for the next start/);

    const c = await startCollector(join(dir.path, "store.db"), grpcPort);
    const second = start(["agent", "--config", config, "--log-level", "info"], { env });
    const old = await waitFor(async () => {
      const s = await getJson<SeriesResp>(`${c.http}/api/v1/series?measurement=cpu&from=${firstNs}&to=${stoppedNs}&tag.agent_id=host-s&tag.cpu=all`);
      return (s.series[0]?.values.length ?? 0) >= cpuAll ? s.series[0]?.values : undefined;
    }, 30_000, "the spooled cpu points, stored");
    assert.equal(old.length, cpuAll, "every spooled point once, and no other from that window");
    assert.match(second.stderr(), /batches never acked restored from the spool/);
    const detail = await waitFor(async () => {
      const d = await getJson<AgentDetail>(`${c.http}/api/v1/agents/host-s`);
      return d.agent.highestSeq > spooled ? d : undefined;
    }, 30_000, "batches of the second run");
    assert.deepEqual(detail.gaps, [], `no seq missing: ${JSON.stringify(detail.gaps)}`);
    await waitFor(() => (readSpoolDir(agentDir, false).records.every((r) => r.seq > BigInt(spooled)) ? true : undefined), 10_000, "the first run's batches settled in the spool");
  });
});
