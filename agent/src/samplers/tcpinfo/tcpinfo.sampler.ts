// tcpinfo: per-socket TCP_INFO for the configured flows only (ss -tinH with a filter), bounded by maxFlows.
import { ConfigError, errorMessage, type FieldValue, type Sample } from "@eastwest/common";
import type { Availability, SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perOptions } from "../shared/options.ts";
import { isNotFound } from "../shared/sources.ts";
import { parseTcpInfoOptions, ssArgs, type FlowSelector, type TcpInfoOptions } from "./tcpinfo.filter.ts";
import { anySocketMatches, parseProcNetTcp } from "./tcpinfo.proc.ts";
import { parseSs, type TcpFlow } from "./tcpinfo.parse.ts";

const RATES: ReadonlyArray<readonly [string, string]> = [
  ["acked_bytes_total", "acked_bytes_per_s"],
  ["received_bytes_total", "received_bytes_per_s"],
  ["retrans_total", "retrans_per_s"],
];

/** The options, and the flows as one string (the key of the state kept per flows option). */
function parseOptions(ctx: SampleContext): TcpInfoOptions & { flowsKey: string } {
  const parsed = parseTcpInfoOptions(ctx.options);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems.map((p) => `tcpinfo: ${p}`));
  return { ...parsed.value, flowsKey: JSON.stringify(parsed.value.flows) };
}

const options = perOptions(parseOptions);

/** Deterministic selection: one socket per (state, local, remote), sorted, at most `max`. */
export function selectFlows(flows: readonly TcpFlow[], max: number): { kept: TcpFlow[]; matched: number } {
  const unique = new Map<string, TcpFlow>();
  for (const f of flows) unique.set(`${f.local} ${f.remote} ${f.state}`, f);
  const sorted = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
  return { kept: sorted.slice(0, max), matched: sorted.length };
}

function flowFields(flow: TcpFlow): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = { recv_q_bytes: flow.recvQBytes, send_q_bytes: flow.sendQBytes };
  for (const [key, value] of Object.entries(flow.info)) if (value !== undefined) fields[key] = value as FieldValue;
  return fields;
}

function counters(fields: Record<string, FieldValue>): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [counter] of RATES) if (typeof fields[counter] === "bigint") out[counter] = fields[counter];
  return out;
}

async function probeSs(ctx: SampleContext): Promise<Availability> {
  try {
    await ctx.exec("ss", ["-V"], { signal: ctx.signal, timeoutMs: 5000 });
    return { available: true };
  } catch (err) {
    return { available: false, reason: isNotFound(err) ? "unavailable: ss not found" : `unavailable: ss -V failed: ${errorMessage(err)}` };
  }
}

/** Longest line of /proc/net/tcp6 (tcp4 lines are 150 bytes), with room to spare. */
const PROC_TCP_LINE_MAX = 512;

/** True when /proc/net/tcp{,6} holds a matching socket, or when it cannot be read (then ss decides). */
async function socketsPresent(ctx: SampleContext, flows: readonly FlowSelector[]): Promise<boolean> {
  const read = (f: string) => ctx.fs.proc(f, { recordsUnder: PROC_TCP_LINE_MAX }).catch(() => undefined);
  const texts = await Promise.all(["net/tcp", "net/tcp6"].map(read));
  if (texts.every((t) => t === undefined)) return true;
  return texts.some((t) => t !== undefined && anySocketMatches(parseProcNetTcp(t), flows));
}

/**
 * While no socket matches, look again at most this often (ms) when sampling at 1 Hz or slower; a change of the
 * flows option looks at once, and faster sampling (a run raised it) looks every tick.
 */
const IDLE_RECHECK_MS = 5000n;

export const tcpinfoSampler: SamplerFactory = (): Sampler => {
  // why: tcp_info byte and segment counters are u64.
  const memory = new RateMemory(64);
  // why: reading /proc/net/tcp{,6} walks the kernel's whole TCP hash table (milliseconds on a large host),
  // so when nothing matched, the next look waits IDLE_RECHECK_MS unless the flows option changes.
  let idle: { untilNs: bigint; flows: string } | undefined;
  // why: while ss's last run (for these flows) found sockets, ss itself is the check: the /proc pre-check would
  // only confirm them, at the cost of two walks of the whole TCP hash table per file.
  let foundFlows: string | undefined;
  let lastSsNs: bigint | undefined;
  return {
    name: "tcpinfo",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeSs(ctx);
    },
    async sample(ctx) {
      const { flows, maxFlows, minIntervalMs, flowsKey: key } = options(ctx);
      if (flows.length === 0) return { points: [] };
      // why: measured on a 2-core host, ss at 10 Hz (a fork of the agent each time) cost ~10 % of a core and
      // about half of the agent's perturbation of a saturated iperf3; TCP_INFO at 2 Hz is enough for a run.
      if (lastSsNs !== undefined && ctx.nowNs - lastSsNs < BigInt(minIntervalMs) * 1_000_000n) return { points: [] };
      const relaxed = (ctx.intervalMs ?? 1000) >= 1000;
      if (relaxed && idle && idle.flows === key && ctx.nowNs < idle.untilNs) return { points: [] };
      if (foundFlows !== key && !(await socketsPresent(ctx, flows))) {
        idle = { untilNs: ctx.nowNs + IDLE_RECHECK_MS * 1_000_000n, flows: key };
        memory.sweep();
        return { points: [] };
      }
      idle = undefined;
      lastSsNs = ctx.nowNs;
      const { stdout } = await ctx.exec("ss", ssArgs(flows), { signal: ctx.signal });
      const parsed = parseSs(stdout);
      foundFlows = parsed.flows.length > 0 ? key : undefined;
      const { kept, matched } = selectFlows(parsed.flows, maxFlows);
      const errors = [...parsed.errors];
      if (matched > kept.length) errors.push(`tcpinfo: ${matched} sockets matched, kept ${kept.length} (maxFlows)`);
      const points: Sample[] = [];
      for (const flow of kept) {
        // why: without the inet_diag/tcp_diag modules ss falls back to /proc/net/tcp, which has no TCP_INFO.
        if (!flow.hasInfo) errors.push(`tcpinfo: no TCP_INFO for ${flow.local} -> ${flow.remote} (inet_diag/tcp_diag modules loaded?)`);
        const fields = flowFields(flow);
        addRates(fields, memory.step(`${flow.local} ${flow.remote} ${flow.state}`, ctx.nowNs, counters(fields)), RATES);
        pushPoint(points, point(ctx, "tcp_flow", { local: flow.local, remote: flow.remote, state: flow.state }, fields));
      }
      memory.sweep();
      return { points, errors };
    },
  };
};
