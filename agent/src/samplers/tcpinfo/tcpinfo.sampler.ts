// tcpinfo: per-socket TCP_INFO for the configured flows only, bounded by maxFlows. Read with netlink sock_diag
// through one long-lived perl helper (sockdiag.ts), or with `ss -tinH <filter>` (a process per read) as the fallback.
import { ConfigError, errorMessage, type FieldValue, type Sample } from "@eastwest/common";
import type { Availability, Captured, SampleContext, SampleResult, Sampler } from "../types.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perOptions } from "../shared/options.ts";
import { readStamp } from "../shared/sources.ts";
import { parseTcpInfoOptions, type TcpInfoOptions } from "./tcpinfo.filter.ts";
import type { FlowSelector } from "../../host/ss.filter.ts";
import type { TcpFlow } from "./tcpinfo.parse.ts";
import { probeSs, SsReader } from "./tcpinfo.ss.ts";
import { ReadPacer } from "./tcpinfo.pace.ts";
import { SockDiagClient, SockDiagError, type SockDiagQuery } from "./sockdiag.ts";
import { IfNames, sockDiagFlows } from "./sockdiag.flows.ts";

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

function reasonOf(a: Availability): string {
  return a.available ? "available" : a.reason.replace(/^unavailable: /, "");
}

/** The sockdiag probe: one real query for the configured ports (port 0 when none: cheap, matches nothing). */
async function probeSockDiag(client: SockDiagQuery, ctx: SampleContext, flows: readonly FlowSelector[]): Promise<Availability> {
  try {
    await sockDiagFlows(client, ctx.fs, new IfNames(), flows.length > 0 ? flows : [{ port: 0 }]);
    return { available: true };
  } catch (err) {
    return { available: false, reason: `unavailable: sockdiag: ${errorMessage(err)}` };
  }
}

/** "auto" gives up on sockdiag after this many helper failures in a row (at once without perl or on a kernel errno). */
const SOCKDIAG_FAILURES_BEFORE_SS = 3;

export interface TcpInfoDeps {
  /** The sock_diag query (default: a SockDiagClient running sockdiag.pl); tests pass one only to inject faults. */
  sockDiag?: () => SockDiagQuery;
}

export type ActiveBackend = "sockdiag" | "ss";

/**
 * What a tick read: the flows found (undefined: no read this tick), the tick's errors, and whether the flow state
 * is to be swept (a read found none). The points and rates are made from it by decode().
 */
interface FlowsRead extends Captured {
  flows: readonly TcpFlow[] | undefined;
  errors: string[];
  sweep: boolean;
  maxFlows: number;
  /** When the flows were read, by the tick's readClock (readStamp); absent when the context has none. */
  readNs?: bigint;
}

/** About the memory a captured flow holds (its tcp_info fields and addresses). */
const FLOW_BYTES = 1024;

export interface TcpInfoSampler extends Sampler {
  /** The backend reading TCP_INFO now; undefined before init() or the first tick. */
  readonly backend: ActiveBackend | undefined;
  /** Idempotent: stops the sockdiag helper. */
  close(): Promise<void>;
}

export const tcpinfoSampler = (deps: TcpInfoDeps = {}): TcpInfoSampler => {
  // why: tcp_info byte and segment counters are u64.
  const memory = new RateMemory(64);
  const ss = new SsReader();
  const ifNames = new IfNames();
  let client: SockDiagQuery | undefined;
  const sockDiag = () => (client ??= (deps.sockDiag ?? (() => new SockDiagClient()))());
  /** The backend in use, and the backend option it was chosen for. */
  let active: { backend: ActiveBackend; option: string } | undefined;
  /** Said once in a tick's errors: which backend "auto" fell back to, and why. */
  let notice: string | undefined;
  let failures = 0;

  const fallBack = (why: string) => {
    active = { backend: "ss", option: "auto" };
    notice = `tcpinfo: backend ss (sockdiag unusable: ${why})`;
    void client?.close();
    client = undefined;
  };

  const emit = (ctx: SampleContext, flows: readonly TcpFlow[], errors: string[], maxFlows: number, readNs: bigint): SampleResult => {
    errors = [...errors];
    const { kept, matched } = selectFlows(flows, maxFlows);
    if (matched > kept.length) errors.push(`tcpinfo: ${matched} sockets matched, kept ${kept.length} (maxFlows)`);
    const points: Sample[] = [];
    for (const flow of kept) {
      // why: without the inet_diag/tcp_diag modules ss falls back to /proc/net/tcp, which has no TCP_INFO.
      if (!flow.hasInfo) errors.push(`tcpinfo: no TCP_INFO for ${flow.local} -> ${flow.remote} (inet_diag/tcp_diag modules loaded?)`);
      const fields = flowFields(flow);
      addRates(fields, memory.step(`${flow.local} ${flow.remote} ${flow.state}`, readNs, counters(fields)), RATES);
      pushPoint(points, point(ctx, "tcp_flow", { local: flow.local, remote: flow.remote, state: flow.state }, fields));
    }
    memory.sweep();
    return { points, errors };
  };

  // why: a query is cheap for the agent but not free (the kernel walks its whole established hash table, the
  // helper formats every tcp_info): at 10 Hz it was ~1.5 % of a core on a 2-core host, at 2 Hz a fifth of that;
  // an idle query at 1 Hz was ~0.2 % of a core for nothing.
  const pace = new ReadPacer();

  const nothingRead = (o: TcpInfoOptions, errors: string[] = [], sweep = false): FlowsRead => ({ flows: undefined, errors, sweep, maxFlows: o.maxFlows, bytes: 64 });
  const flowsRead = (o: TcpInfoOptions, flows: readonly TcpFlow[], errors: string[] = []): FlowsRead => ({ flows, errors, sweep: false, maxFlows: o.maxFlows, bytes: 64 + flows.length * FLOW_BYTES });

  const viaSockDiag = async (ctx: SampleContext, o: TcpInfoOptions & { flowsKey: string }): Promise<FlowsRead> => {
    if (!pace.due(ctx.nowNs, ctx.intervalMs, o)) return nothingRead(o);
    pace.reading(ctx.nowNs);
    try {
      const flows = await sockDiagFlows(sockDiag(), ctx.fs, ifNames, o.flows, ctx.signal);
      failures = 0;
      if (flows.length === 0) pace.nothing(ctx.nowNs, o.flowsKey);
      return flowsRead(o, flows);
    } catch (err) {
      if (!(err instanceof SockDiagError)) throw err;
      // why: a missed tick deadline is load, not a broken helper (and ss would be slower still).
      if (err.failure !== "deadline" && err.failure !== "closed") failures++;
      const permanent = err.failure === "start" || err.failure === "kernel";
      if (o.backend === "auto" && (permanent || failures >= SOCKDIAG_FAILURES_BEFORE_SS)) fallBack(err.message);
      // why: one failed query (a helper that died, a missed deadline) is this tick's error; the next query restarts it.
      return nothingRead(o, [`tcpinfo: ${err.message}`]);
    }
  };

  const viaSs = async (ctx: SampleContext, o: TcpInfoOptions & { flowsKey: string }): Promise<FlowsRead> => {
    const read = await ss.read(ctx, o);
    if (read.kind === "throttled") return nothingRead(o);
    if (read.kind === "none") return nothingRead(o, [], true);
    return flowsRead(o, read.output.flows, [...read.output.errors]);
  };

  /** The tick's reading half: the query (sockdiag or ss) and its flows; no points yet. */
  const capture = async (ctx: SampleContext): Promise<FlowsRead> => {
    const o = options(ctx);
    if (o.flows.length === 0) return nothingRead(o);
    // A changed backend option (setOptions) chooses again; "auto" starts with sockdiag.
    if (active === undefined || active.option !== o.backend) active = { backend: o.backend === "ss" ? "ss" : "sockdiag", option: o.backend };
    const stamp = readStamp(ctx);
    const read = active.backend === "ss" ? await viaSs(ctx, o) : await viaSockDiag(ctx, o);
    const readNs = stamp.done();
    if (readNs !== undefined) read.readNs = readNs;
    if (notice !== undefined) {
      read.errors = [notice, ...read.errors];
      notice = undefined;
    }
    return read;
  };

  /** The points (with rates from the previous decode) of what capture() read. */
  const decode = async (c: Captured, ctx: SampleContext): Promise<SampleResult> => {
    const read = c as FlowsRead;
    if (read.flows !== undefined) return emit(ctx, read.flows, read.errors, read.maxFlows, read.readNs ?? ctx.nowNs);
    if (read.sweep) memory.sweep();
    return read.errors.length > 0 ? { points: [], errors: read.errors } : { points: [] };
  };

  return {
    name: "tcpinfo",
    defaultIntervalMs: 1000,
    get backend() {
      return active?.backend;
    },
    async init(ctx) {
      const o = options(ctx);
      if (o.backend === "ss") {
        active = { backend: "ss", option: o.backend };
        return probeSs(ctx);
      }
      const viaNetlink = await probeSockDiag(sockDiag(), ctx, o.flows);
      if (viaNetlink.available || o.backend === "sockdiag") {
        active = { backend: "sockdiag", option: o.backend };
        return viaNetlink;
      }
      const viaSsTool = await probeSs(ctx);
      if (!viaSsTool.available) return { available: false, reason: `unavailable: ${reasonOf(viaNetlink)}; ${reasonOf(viaSsTool)}` };
      fallBack(reasonOf(viaNetlink));
      return viaSsTool;
    },
    async sample(ctx) {
      return decode(await capture(ctx), ctx);
    },
    capture,
    decode,
    async close() {
      const c = client;
      client = undefined;
      await c?.close();
    },
  };
};
