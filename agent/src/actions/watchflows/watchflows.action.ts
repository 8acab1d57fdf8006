// watchFlows: points the tcpinfo sampler at a run's flows for a while, then back at its configured flows.
import { ValidationError } from "@eastwest/common";
import type { WatchFlows } from "@eastwest/proto";
import type { Scheduler } from "../../runtime/scheduler.ts";
import { parseFlowSelectors, type FlowSelector } from "../../host/ss.filter.ts";

export const TCPINFO = "tcpinfo";

export interface WatchFlowsResult {
  sampler: string;
  /** The flows tcpinfo now watches. */
  flows: FlowSelector[];
  /** How long (ms) before the configured flows return; 0: until the next watchFlows or a restart. */
  forMs: number;
}

/** Proto filters (port 0 / address "" mean "any") -> tcpinfo selector options, unvalidated. */
export function selectorsOf(cmd: WatchFlows): Array<Record<string, unknown>> {
  return cmd.flows.map((f) => {
    const sel: Record<string, unknown> = {};
    if (f.port !== 0) sel["port"] = f.port;
    if (f.address !== "") sel["address"] = f.address;
    return sel;
  });
}

/** Validates like the tcpinfo sampler; an empty list stops per-flow sampling for forMs. */
export function watchFlows(cmd: WatchFlows, scheduler: Scheduler | undefined): WatchFlowsResult {
  const problems: string[] = [];
  const flows = parseFlowSelectors(selectorsOf(cmd), problems);
  if (!Number.isInteger(cmd.forMs) || cmd.forMs < 0) problems.push(`for_ms: expected an integer >= 0, got ${JSON.stringify(cmd.forMs)}`);
  if (problems.length > 0) throw new ValidationError(`invalid watch_flows command: ${problems.join("; ")}`);
  const state = scheduler?.states().find((s) => s.name === TCPINFO);
  if (!scheduler || !state) throw new Error(`no sampler named ${TCPINFO} (disabled in this agent's configuration?)`);
  if (!state.availability.available) throw new Error(`${TCPINFO} is ${state.availability.reason}`);
  scheduler.setOptions(TCPINFO, { flows }, cmd.forMs);
  return { sampler: TCPINFO, flows, forMs: cmd.forMs };
}
