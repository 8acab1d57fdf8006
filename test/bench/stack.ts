// eastwest programs as the benchmarks run them: a collector and agents, each
// its own process started through the CLI (test/helpers/procs.ts), killed by pid.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostOfAddress, isLoopbackHost } from "@eastwest/common";
import { getJson, jsonLine, start, waitFor, type Proc } from "../helpers/procs.ts";
import { postJson } from "../helpers/api.ts";

export interface RunningCollector {
  proc: Proc;
  grpcPort: number;
  http: string;
  /** The collector's local write token (http.localToken), for POSTs. */
  tokenFile: string;
}

/** scheduling: the collector's CPU policy (`--scheduling`); default its own (normal). */
export async function startCollector(dir: string, grpcHost = "127.0.0.1", scheduling?: "idle" | "normal", env?: Record<string, string>): Promise<RunningCollector> {
  const args = ["collector", "--grpc-host", grpcHost, "--grpc-port", "0", "--http-port", "0", "--data", join(dir, "collector.db"), "--log-level", "warn"];
  if (scheduling !== undefined) args.push("--scheduling", scheduling);
  // why: plaintext beyond loopback, explicitly: the figures compare with runs made before gRPC had TLS.
  if (!isLoopbackHost(grpcHost)) args.push("--grpc-insecure");
  const proc = start(args, env === undefined ? {} : { env });
  const ports = await jsonLine<{ grpc_port: number; http_port: number }>(proc);
  return { proc, grpcPort: ports.grpc_port, http: `http://127.0.0.1:${ports.http_port}`, tokenFile: join(dir, "api-token") };
}

export interface SamplerSetting {
  intervalMs?: number;
  options?: Record<string, unknown>;
}

/** Writes an agent config file (JSON, an "agent:" section; `actions`: what it may be commanded to do) and returns its path. */
export function agentConfigFile(dir: string, name: string, samplers: Record<string, SamplerSetting>, actions: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ agent: { samplers, actions } }, null, 2));
  return path;
}

export function startAgent(opts: { id: string; collector: string; config: string; intervalMs: number; prefix?: string[]; role?: "host" | "guest" }): Proc {
  const args = ["agent", "--id", opts.id, "--collector", opts.collector, "--config", opts.config, "--interval-ms", String(opts.intervalMs), "--log-level", "warn"];
  if (opts.role !== undefined) args.push("--role", opts.role);
  if (!isLoopbackHost(hostOfAddress(opts.collector))) args.push("--insecure");
  return start(args, opts.prefix ? { prefix: opts.prefix } : {});
}

/** The highest seq the collector has stored for the agent (0 when unknown). */
export async function agentHighestSeq(http: string, id: string): Promise<number> {
  try {
    const r = await getJson<{ agent: { highestSeq: number } }>(`${http}/api/v1/agents/${encodeURIComponent(id)}`);
    return Number(r.agent.highestSeq);
  } catch {
    return 0;
  }
}

/** Resolves once the collector has stored a batch of the agent's with seq > `after`. */
export async function waitForAgentData(http: string, id: string, agent: Proc, after = 0, timeoutMs = 30_000): Promise<number> {
  return waitFor(async () => {
    if (agent.child.exitCode !== null) throw new Error(`process exited ${agent.child.exitCode}: agent ${id}: ${agent.stderr().slice(-2000)}`);
    const seq = await agentHighestSeq(http, id);
    return seq > after ? seq : undefined;
  }, timeoutMs, `stored batches of agent ${id}`);
}

export interface HoldState {
  holding: boolean;
  held_ticks: number;
  held_bytes: number;
}

/** POST /api/v1/agents/<id>/hold (forMs 0: release); the agent's hold state. */
export async function holdAgent(col: RunningCollector, id: string, forMs: number): Promise<HoldState> {
  const res = await postJson(`${col.http}/api/v1/agents/${encodeURIComponent(id)}/hold`, JSON.stringify({ for_ms: forMs }), col.tokenFile);
  const body = (await res.json()) as HoldState & { error?: string };
  if (!res.ok) throw new Error(`hold on ${id}: ${res.status} ${body.error ?? ""}`);
  return body;
}
