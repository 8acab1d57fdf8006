// VM exits for a run: the exit term of the cost model from whichever source has data — the KVM counters of the VMs
// carrying the run (QMP query-stats or debugfs, per VM: vms.ts), else the host-wide count of perf kvm stat on their
// hosts — and, when there is none, the honest reason (a TCG guest has no KVM exits).
import type { Store } from "../store/types.ts";
import type { Window } from "./types.ts";
import { runVms, type NamespacedGuests, type RunVm } from "./vms.ts";

export interface ExitsFound {
  exits: number;
  source: string;
}

export interface ExitTerm {
  found?: ExitsFound;
  /** Why there is no count (when found is absent). */
  missing?: string;
  notes: string[];
}

/** The exit count of the run's VMs; `perf`: exits counted by perf kvm stat on their hosts (host-wide), when it counted any. */
export function exitTerm(vms: readonly RunVm[], perf?: ExitsFound): ExitTerm {
  const notes: string[] = [];
  const counted = vms.filter((v) => v.exits !== null);
  for (const v of vms) if (v.exits === null) notes.push(`vm ${v.vm} on ${v.host_agent}: ${v.exits_reason ?? "no exit count"}`);
  if (counted.length > 0) {
    const how = (v: RunVm) => (v.kvm_stats === "debugfs" ? "debugfs" : "QMP query-stats");
    const parts = counted.map((v) => `vm ${v.vm} on ${v.host_agent} (${how(v)})`);
    if (counted.length < vms.length) notes.push(`the exit term counts ${counted.length} of the run's ${vms.length} VMs`);
    return { found: { exits: counted.reduce((s, v) => s + (v.exits ?? 0), 0), source: `KVM exits_total of ${parts.join(" + ")}` }, notes };
  }
  if (perf !== undefined && perf.exits > 0) return { found: perf, notes };
  if (vms.length === 0) return { missing: "the guest agents' machine UUIDs match no host-side VM", notes };
  const reasons = new Map<string, string[]>();
  for (const v of vms) reasons.set(v.exits_reason ?? "no exit count", [...(reasons.get(v.exits_reason ?? "no exit count") ?? []), v.vm]);
  return { missing: [...reasons].map(([why, names]) => `${why} (vm ${names.join(", ")})`).join("; "), notes };
}

/** The exits perf kvm stat counted on the run's hosts (host-wide: every guest there), when it counted any. */
export function perfExits(rows: ReadonlyArray<{ agentId: string; count: number }>): ExitsFound | undefined {
  const exits = rows.reduce((sum, r) => sum + r.count, 0);
  return exits > 0 ? { exits, source: `perf kvm stat on ${[...new Set(rows.map((r) => r.agentId))].join(", ")} (host-wide: every guest)` } : undefined;
}

/** What the cost model gets: the count, or no count with the reason (run-model.ts ExitObservation.missing). */
export function modelExits(t: ExitTerm): (ExitsFound & { missing?: string }) | undefined {
  return t.found ?? (t.missing === undefined ? undefined : { exits: 0, source: "", missing: t.missing });
}

/** Why a run whose guests are all network namespaces has no VM exits (no warning: nothing is missing). */
export function namespacedReason(ns: readonly NamespacedGuests[]): string {
  const parts = ns.map((n) => `${n.guests.join(", ")} on ${n.hosts.join(", ")}`);
  return `the run's agents share their host agent's machine UUID (${parts.join("; ")}): they run in network namespaces or on the host itself, not in VMs: no VM exits`;
}

/** The run's VMs (by its guest agents' machine UUIDs) and their exit term; hostAgents are the agents that report them. */
export async function exitObservation(store: Store, agentIds: readonly string[], w: Window, perf?: ExitsFound): Promise<ExitTerm & { hostAgents: string[]; vms: RunVm[] }> {
  const r = await runVms(store, agentIds, w);
  const t = exitTerm(r.vms, perf);
  if (t.found === undefined && r.vms.length === 0 && r.notes[0]?.startsWith("no guest agent")) t.missing = r.notes[0];
  else if (t.found === undefined && r.vms.length === 0 && r.notes.length === 0 && r.namespaced.length > 0) t.missing = namespacedReason(r.namespaced);
  return { ...t, notes: [...r.notes, ...t.notes], hostAgents: r.hostAgents, vms: r.vms };
}
