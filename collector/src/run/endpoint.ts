// One end of a run over its window: interface rates, CPU, TCP retransmits, flow snapshots. Pure.
import type { Series } from "../store/types.ts";
import { byInterface, chooseInterface, interfaceRates } from "./netdev.ts";
import { CPU_FIELDS, type CpuMeans, type EndpointResults, type FlowSnapshot, type FlowValue, type Side } from "./results.ts";
import { counterSpan, fieldPoints, floatValue, rowsIn, tagOf, type ReadCtx } from "./series.ts";
import type { EndpointData, RunEndpoint } from "./types.ts";

export interface EndpointInput {
  side: Side;
  role: "sender" | "receiver";
  spec: RunEndpoint;
  data: EndpointData;
  loopback: boolean;
}

/** Mean of each cpu=all percentage over the rows whose interval ends in (fromNs, toNs]. */
export function cpuMeans(cpu: readonly Series[], ctx: ReadCtx): CpuMeans {
  const all = cpu.filter((s) => s.tags.cpu === undefined || s.tags.cpu === "all");
  const out = { samples: 0 } as CpuMeans;
  for (const f of CPU_FIELDS) {
    const pts = fieldPoints(all, f, ctx.w, floatValue, true);
    out.samples = Math.max(out.samples, pts.length);
    const mean = pts.length === 0 ? null : pts.reduce((a, p) => a + p.v, 0) / pts.length;
    out[f] = mean !== null && Number.isFinite(mean) ? mean : null;
  }
  if (out.samples === 0) ctx.warn(`no cpu samples in the window for ${ctx.who}`);
  return out;
}

function flowValue(x: unknown): FlowValue | undefined {
  if (typeof x === "bigint" || typeof x === "boolean" || typeof x === "string") return x;
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

/** The last row inside the window of each tcp_flow series. */
export function flowSnapshots(flows: readonly Series[], ctx: ReadCtx): FlowSnapshot[] {
  const out: FlowSnapshot[] = [];
  for (const s of flows) {
    const last = rowsIn([s], ctx.w).at(-1);
    if (last === undefined) continue;
    const fields: Record<string, FlowValue> = {};
    s.columns.forEach((name, i) => {
      const v = i === 0 ? undefined : flowValue(last.row[i]);
      if (v !== undefined) fields[name] = v;
    });
    out.push({ local: s.tags.local ?? "", remote: s.tags.remote ?? "", state: s.tags.state ?? "", time_ns: last.t, fields });
  }
  return out;
}

function rowCount(series: readonly Series[], ctx: ReadCtx, openStart = false): number {
  return rowsIn(series, ctx.w, openStart).length;
}

function warnTruncated(d: EndpointData, ctx: ReadCtx): void {
  for (const [name, list] of [["netdev", d.netdev], ["cpu", d.cpu], ["tcp", d.tcp], ["tcp_flow", d.flows]] as const) {
    if (list.some((s) => s.truncated)) ctx.warn(`${name} series of ${ctx.who} were cut off by a query limit; figures cover part of the window`);
  }
}

/** RetransSegs increase over the window; only the data sender's is warned about when missing. */
function retransSegs(e: EndpointInput, ctx: ReadCtx): EndpointResults["retrans_segs"] {
  const r = counterSpan(e.data.tcp, "retrans_segs_total", ctx.w);
  if ("span" in r) {
    if (r.span.resets > 0) ctx.warn(`${ctx.who} retrans_segs_total: counter reset in the window; the increase is a lower bound`);
    return r.span;
  }
  if (e.role === "sender") ctx.warn(`${ctx.who} retrans_segs_total: ${r.reason}`);
  return null;
}

/** Rows per measurement inside the window (cpu rows: interval ending in (fromNs, toNs]). */
function sampleCounts(d: EndpointData, ctx: ReadCtx): EndpointResults["samples"] {
  return { netdev: rowCount(d.netdev, ctx), cpu: rowCount(d.cpu, ctx, true), tcp: rowCount(d.tcp, ctx), tcp_flow: rowCount(d.flows, ctx) };
}

/** An agent with no rows at all in the window gets one warning instead of one per figure. */
export function endpointResults(e: EndpointInput, outer: ReadCtx): EndpointResults {
  const samples = sampleCounts(e.data, outer);
  const empty = samples.netdev + samples.cpu + samples.tcp + samples.tcp_flow === 0;
  if (empty) outer.warn(`no samples in the window for ${outer.who}: every figure from this agent is empty`);
  const ctx: ReadCtx = empty ? { ...outer, warn: () => {} } : outer;
  const ifaces = byInterface(e.data.netdev);
  const direction = e.role === "sender" ? "tx" : "rx";
  const choice = chooseInterface(ifaces, e.spec.interface, e.loopback, `${direction}_bytes_total`, ctx);
  warnTruncated(e.data, ctx);
  const flows = flowSnapshots(e.data.flows, ctx);
  if (e.data.flows.length === 0) ctx.warn(`no tcp_flow series for ${ctx.who} (tcpinfo sampler off, or its flow filter missed the run)`);
  else if (flows.length === 0) ctx.warn(`no tcp_flow samples in the window for ${ctx.who}`);
  const all = [...e.data.netdev, ...e.data.cpu, ...e.data.tcp, ...e.data.flows];
  return {
    side: e.side,
    agent_id: e.data.agentId,
    role: e.role,
    host: tagOf(all, "host"),
    netdev: interfaceRates(ifaces, choice, direction, ctx),
    cpu: cpuMeans(e.data.cpu, ctx),
    retrans_segs: retransSegs(e, ctx),
    flows,
    samples,
  };
}
