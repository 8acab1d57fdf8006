// VM exits for a run: the run's agents are linked to host-side VMs by machine
// UUID (a guest agent reports its DMI product_uuid; the host agent tags each
// VM's KVM counters with vm_uuid). The exits counted on those VMs over the
// window feed the model's exit term.
import type { Store } from "../store/types.ts";
import { counterSpan } from "./series.ts";
import type { Window } from "./types.ts";

export interface ExitsFound {
  exits: number;
  source: string;
}

/** Exits on the VMs of the run's guest agents; hostAgents are the agents that report those VMs. */
export async function exitObservation(store: Store, agentIds: readonly string[], w: Window): Promise<{ found?: ExitsFound; notes: string[]; hostAgents: string[] }> {
  const notes: string[] = [];
  const uuids = new Set<string>();
  for (const id of agentIds) {
    const a = await store.getAgent(id);
    if (a?.role === "guest" && a.machineUuid) uuids.add(a.machineUuid.toLowerCase());
  }
  const hostAgents = new Set<string>();
  if (uuids.size === 0) return { notes: ["no guest agent in this run: no VM to read exits from"], hostAgents: [] };
  let exits = 0;
  const parts: string[] = [];
  for (const uuid of uuids) {
    const series = await store.query({ measurement: "vm_kvm", fromNs: w.fromNs, toNs: w.toNs, tags: { vm_uuid: uuid }, fields: ["exits_total"] });
    const span = counterSpan(series, "exits_total", w);
    if ("reason" in span) {
      notes.push(`vm ${uuid}: ${series.length === 0 ? "no host agent reports KVM counters for it" : span.reason}`);
      continue;
    }
    exits += span.span.delta;
    const s = series[0];
    if (s?.tags["agent_id"]) hostAgents.add(s.tags["agent_id"]);
    parts.push(`vm ${s?.tags["vm"] || uuid} on ${s?.tags["agent_id"] ?? "?"}`);
  }
  if (parts.length === 0) return { notes, hostAgents: [...hostAgents] };
  return { found: { exits, source: `KVM exits_total (QMP query-stats) of ${parts.join(" + ")}` }, notes, hostAgents: [...hostAgents] };
}
