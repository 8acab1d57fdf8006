// Shared by the agent spool tests: a collector process, an agent config with spool settings, the agent's spool.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeBatch } from "@eastwest/proto/wire";
import { readSpoolDir } from "../../../agent/src/runtime/spool-restore.ts";
import { getJson, jsonLine, start, waitFor, type Proc } from "../../helpers/procs.ts";

export interface AgentDetail {
  agent: { agentId: string; highestSeq: number };
  gaps: Array<{ from: number; to: number }>;
}
export interface SeriesResp {
  series: Array<{ tags: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

const LIMITS = { maxTagValueLength: 1 << 20, maxStringFieldLength: 1 << 20 };

export async function startCollector(dataFile: string, grpcPort: number): Promise<{ proc: Proc; http: string }> {
  const proc = start(["collector", "--grpc-port", String(grpcPort), "--http-port", "0", "--data", dataFile, "--log-level", "warn"]);
  const ports = await jsonLine<{ http_port: number }>(proc);
  return { proc, http: `http://127.0.0.1:${ports.http_port}` };
}

/** An agent config sampling at 10 Hz with a small sampler set; `extra` lines go under `agent:`. */
export function agentConfig(dir: string, id: string, grpcPort: number, extra: string[] = []): string {
  const file = join(dir, `${id}.yaml`);
  const lines = [
    "agent:",
    `  id: ${id}`,
    "  intervalMs: 100",
    "  selfIntervalMs: 200",
    `  collector: { address: "127.0.0.1:${grpcPort}", backoffMinMs: 50, backoffMaxMs: 300 }`,
    "  batch: { maxPoints: 200, maxDelayMs: 50 }",
    "  samplers:",
    "    netstate: { enabled: false }",
    "    tcpinfo: { enabled: false }",
    ...extra.map((l) => `  ${l}`),
    "",
  ];
  writeFileSync(file, lines.join("\n"));
  return file;
}

/** The agent's spool, read only (it may be in use). */
export function spoolOf(spoolDir: string, id: string) {
  return readSpoolDir(join(spoolDir, id), false);
}

/** The times of the cpu "all" points in batch bytes. */
export function cpuTimes(bytes: Buffer): bigint[] {
  return decodeBatch(bytes, LIMITS).points.filter((p) => p.measurement === "cpu" && p.tags["cpu"] === "all").map((p) => p.timeNs);
}

export const detailOf = (http: string, id: string) => getJson<AgentDetail>(`${http}/api/v1/agents/${id}`);

/** Every stored time of `measurement`'s series of agent `id` (tag filters in `tags`), per series. */
export async function storedTimes(http: string, measurement: string, id: string, tags = ""): Promise<string[][]> {
  const s = await getJson<SeriesResp>(`${http}/api/v1/series?measurement=${measurement}&from=-30m&to=now&tag.agent_id=${id}${tags}`);
  return s.series.map((x) => x.values.map((row) => String(row[0])));
}

/** The agent's own newest eastwest_agent fields at the collector. */
export async function selfPoint(http: string, id: string): Promise<Record<string, unknown> | undefined> {
  const r = await getJson<{ rows: Array<{ fields: Record<string, unknown> }> }>(`${http}/api/v1/latest?measurement=eastwest_agent&agent_id=${id}`);
  return r.rows[0]?.fields;
}

/** Resolves when `re` matches the process's stderr; fails at once when it exits. */
export function untilLog(p: Proc, re: RegExp, timeoutMs: number, what: string): Promise<true> {
  return waitFor(() => {
    if (re.test(p.stderr())) return true;
    if (p.child.exitCode !== null) throw new Error(`process exited ${p.child.exitCode}: ${p.stderr().slice(-2000)}`);
    return undefined;
  }, timeoutMs, what);
}
