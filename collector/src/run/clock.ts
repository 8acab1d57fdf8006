// A run's windows per agent, corrected by the agents' clock offsets (clock/clocks.ts). Pure.
//
// Samples carry their agent's clock; the run window is on the collector's. The rule: when an agent's offset is
// known with an uncertainty of at most MAX_UNCERTAINTY_MS, its samples are read over the run window shifted onto its
// clock (window + offset) and their times are moved back onto the collector's (t - offset); the run window is
// widened on both sides by the largest uncertainty applied, so that it still brackets the traffic with idle samples
// whatever the true offset within the estimate. An agent whose offset is unknown, or more uncertain than that, is
// read uncorrected. A run warns for every agent whose offset is unknown or whose |offset| exceeds CLOCK_BOUND_MS.
import { CLOCK_BOUND_MS } from "../clock/clocks.ts";
import type { Estimate } from "../clock/filter.ts";
import type { Series } from "../store/types.ts";
import type { EndpointData, Window } from "./types.ts";
import type { Iperf3Summary } from "./iperf3.parse.ts";

/** Estimates more uncertain than this are not applied. */
export const MAX_UNCERTAINTY_MS = 2000;

export const CLOCK_RULE =
  `each agent's samples are read over the run window shifted by its clock offset and moved back onto the collector's clock when the offset is known within ${MAX_UNCERTAINTY_MS} ms; ` +
  "the run window is widened by the largest uncertainty applied; other agents are read uncorrected";

/** One agent's clock in a run record. */
export interface AgentRunClock {
  agent_id: string;
  /** The estimate at the run's end (the agent's clock minus the collector's), ms; null when unknown. */
  offset_ms: number | null;
  uncertainty_ms: number | null;
  /** The shift applied to the agent's samples, ms (0 when uncorrected). */
  applied_offset_ms: number;
  corrected: boolean;
  /** Why not corrected. */
  reason?: string;
}

export interface RunClock {
  rule: string;
  bound_ms: number;
  /** The run window was widened on each side by this, ms. */
  widened_ms: number;
  agents: AgentRunClock[];
}

export interface ClockPlan {
  record: RunClock;
  warnings: string[];
  /** Shift of each agent's samples (ns; 0n: none). */
  offsetNs: Map<string, bigint>;
  widenNs: bigint;
}

const MS = 1_000_000n;
const ms = (ns: bigint) => Number(ns) / 1e6;
const fmt = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)} ms`;

/** How the run reads each agent, from the estimates (estimate(agentId) undefined: no clock source). */
export function planClocks(agentIds: readonly string[], estimate: ((agentId: string) => Estimate) | undefined): ClockPlan {
  const agents: AgentRunClock[] = [];
  const warnings: string[] = [];
  const offsetNs = new Map<string, bigint>();
  let widenNs = 0n;
  for (const id of agentIds) {
    const e: Estimate = estimate?.(id) ?? { known: false, reason: "this collector estimates no clock offsets" };
    if (!e.known) {
      agents.push({ agent_id: id, offset_ms: null, uncertainty_ms: null, applied_offset_ms: 0, corrected: false, reason: e.reason });
      warnings.push(`clock: offset of ${id} unknown (${e.reason}): its samples are read on its own clock, uncorrected`);
      continue;
    }
    const entry: AgentRunClock = { agent_id: id, offset_ms: ms(e.offsetNs), uncertainty_ms: ms(e.uncertaintyNs), applied_offset_ms: 0, corrected: false };
    if (e.uncertaintyNs > BigInt(MAX_UNCERTAINTY_MS) * MS) {
      entry.reason = `uncertainty ${ms(e.uncertaintyNs).toFixed(1)} ms over ${MAX_UNCERTAINTY_MS} ms`;
      warnings.push(`clock: offset of ${id} too uncertain (${fmt(ms(e.offsetNs))} +- ${ms(e.uncertaintyNs).toFixed(1)} ms): its samples are read uncorrected`);
    } else {
      entry.applied_offset_ms = ms(e.offsetNs);
      entry.corrected = true;
      offsetNs.set(id, e.offsetNs);
      if (e.uncertaintyNs > widenNs) widenNs = e.uncertaintyNs;
    }
    const off = e.offsetNs < 0n ? -e.offsetNs : e.offsetNs;
    if (off > BigInt(CLOCK_BOUND_MS) * MS) {
      const done = entry.corrected ? "its samples were moved onto the collector's clock by that offset" : "its samples are uncorrected";
      warnings.push(`clock: ${id}'s clock is off the collector's by ${fmt(ms(e.offsetNs))} (+- ${ms(e.uncertaintyNs).toFixed(1)} ms), over the ${CLOCK_BOUND_MS} ms bound: ${done}`);
    }
    agents.push(entry);
  }
  widenNs = ((widenNs + MS - 1n) / MS) * MS;
  return { record: { rule: CLOCK_RULE, bound_ms: CLOCK_BOUND_MS, widened_ms: ms(widenNs), agents }, warnings, offsetNs, widenNs };
}

/** The run window widened by the plan's largest applied uncertainty. */
export function widened(w: Window, plan: ClockPlan): Window {
  return { fromNs: w.fromNs - plan.widenNs, toNs: w.toNs + plan.widenNs };
}

/** The window on agentId's clock. */
export function onAgentClock(w: Window, plan: ClockPlan, agentId: string): Window {
  const off = plan.offsetNs.get(agentId) ?? 0n;
  return { fromNs: w.fromNs + off, toNs: w.toNs + off };
}

function shiftSeries(s: Series, offNs: bigint): Series {
  const values = s.values.map((row) => {
    const t = row[0];
    if (typeof t === "bigint") return [t - offNs, ...row.slice(1)];
    if (typeof t === "number" && Number.isSafeInteger(t)) return [BigInt(t) - offNs, ...row.slice(1)];
    return row;
  });
  return { ...s, values };
}

/** An agent's series with their times moved onto the collector's clock. */
export function toCollectorClock(d: EndpointData, plan: ClockPlan): EndpointData {
  const off = plan.offsetNs.get(d.agentId) ?? 0n;
  if (off === 0n) return d;
  const shift = (list: Series[]) => list.map((s) => shiftSeries(s, off));
  return { agentId: d.agentId, netdev: shift(d.netdev), cpu: shift(d.cpu), tcp: shift(d.tcp), flows: shift(d.flows) };
}

/** An iperf3 report's start time moved onto the collector's clock (iperf3 stamps it on its agent's clock). */
export function iperfOnCollectorClock(s: Iperf3Summary, plan: ClockPlan, agentId: string): Iperf3Summary {
  const off = plan.offsetNs.get(agentId) ?? 0n;
  return off === 0n ? s : { ...s, startNs: s.startNs - off };
}
