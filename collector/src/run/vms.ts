// The VMs carrying a run, as their host agents saw them over the run window: the run's guest agents are linked to
// host-side VMs by machine UUID (a guest agent reports its DMI product_uuid; a host agent tags each VM with vm_uuid,
// found by vm_info whether or not the VM has KVM counters). Per VM: its threads' CPU, its taps' counters and its exits,
// each with the reason when absent.
import type { AgentRecord, Series, Store } from "../store/types.ts";
import { counterSpan } from "./series.ts";
import type { Window } from "./types.ts";

export interface RunVmThread {
  kind: string;
  thread: string;
  /** % of one CPU over the samples' span in the window (run_ns_total increase); null with too few samples. */
  run_pct: number | null;
  /**
   * % of the window it was runnable but waiting for a CPU (wait_ns_total increase: schedstat's run_delay); null with
   * too few samples, absent in records made before it was recorded.
   */
  wait_pct?: number | null;
}

export interface RunVmNet {
  iface: string;
  /** Seconds between the first and last sample in the window. */
  seconds: number | null;
  /** Counter increases over the window, as the guest sees them (vm_net): rx is what the guest received. */
  rx_bytes: number | null;
  tx_bytes: number | null;
  rx_packets: number | null;
  tx_packets: number | null;
  rx_drops: number | null;
  tx_drops: number | null;
}

export interface RunVm {
  vm: string;
  vm_uuid: string;
  host_agent: string;
  /** The run's agents running inside it. */
  guest_agents: string[];
  /** kvm, tcg (vm_info), "" when only KVM counters were seen. */
  accel: string;
  /** qmp, debugfs, unavailable (vm_info), "" when unknown. */
  kvm_stats: string;
  threads: RunVmThread[];
  net: RunVmNet[];
  /** exits_total increase over the window; null with the reason in exits_reason. */
  exits: number | null;
  exits_reason: string | null;
}

/** Guest agents whose machine UUID is a host agent's: network namespaces on that host, not VMs. */
export interface NamespacedGuests {
  uuid: string;
  guests: string[];
  hosts: string[];
}

export interface RunVms {
  vms: RunVm[];
  /** Host agents that report one of the run's VMs. */
  hostAgents: string[];
  /** The run's guest agents that share a host agent's machine UUID (namespaces): no VM to look for. */
  namespaced: NamespacedGuests[];
  notes: string[];
}

/** Machine UUID (lower case) -> agent ids, of the agents of `role` among `agents`. */
export function uuidsOf(agents: ReadonlyArray<Pick<AgentRecord, "agentId" | "role" | "machineUuid">>, role: AgentRecord["role"]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of agents) {
    if (a.role !== role || !a.machineUuid) continue;
    const uuid = a.machineUuid.toLowerCase();
    out.set(uuid, [...(out.get(uuid) ?? []), a.agentId]);
  }
  return out;
}

/**
 * Splits the guests' UUIDs: those a host agent also reports as its own machine UUID are namespaces on that host
 * (agents in network namespaces read the host's DMI UUID), the rest may be VMs. Pure.
 */
export function splitNamespaced(guests: ReadonlyMap<string, string[]>, hosts: ReadonlyMap<string, string[]>): { vmUuids: Map<string, string[]>; namespaced: NamespacedGuests[] } {
  const vmUuids = new Map<string, string[]>();
  const namespaced: NamespacedGuests[] = [];
  for (const [uuid, ids] of guests) {
    const h = hosts.get(uuid);
    if (h && h.length > 0) namespaced.push({ uuid, guests: [...ids], hosts: [...h] });
    else vmUuids.set(uuid, [...ids]);
  }
  return { vmUuids, namespaced };
}

/** Machine UUID -> the run's guest agents with it, less those in namespaces on a known host. */
async function guestUuids(store: Store, agentIds: readonly string[]): Promise<ReturnType<typeof splitNamespaced>> {
  const run = (await Promise.all(agentIds.map((id) => store.getAgent(id)))).filter((a): a is AgentRecord => a !== undefined);
  return splitNamespaced(uuidsOf(run, "guest"), uuidsOf(await store.listAgents(), "host"));
}

const key = (s: Series) => `${s.tags["agent_id"] ?? ""}\0${s.tags["vm"] ?? ""}`;

function spanOf(series: readonly Series[], field: string, w: Window): { delta: number; seconds: number } | null {
  const r = counterSpan(series, field, w);
  return "span" in r ? { delta: r.span.delta, seconds: r.span.seconds } : null;
}

function threads(series: readonly Series[], w: Window): RunVmThread[] {
  return series
    .map((s) => {
      const share = (field: string) => {
        const span = spanOf([s], field, w);
        const pct = span && span.seconds > 0 ? (span.delta / (span.seconds * 1e9)) * 100 : null;
        return pct !== null && Number.isFinite(pct) ? pct : null;
      };
      return { kind: s.tags["thread_kind"] ?? "", thread: s.tags["thread"] ?? "", run_pct: share("run_ns_total"), wait_pct: share("wait_ns_total") };
    })
    .sort((a, b) => (a.kind + a.thread < b.kind + b.thread ? -1 : 1));
}

function nets(series: readonly Series[], w: Window): RunVmNet[] {
  return series
    .map((s) => {
      const one = (c: string) => spanOf([s], `${c}_total`, w);
      const bytes = one("rx_bytes");
      return {
        iface: s.tags["iface"] ?? "",
        seconds: bytes?.seconds ?? null,
        rx_bytes: bytes?.delta ?? null,
        tx_bytes: one("tx_bytes")?.delta ?? null,
        rx_packets: one("rx_packets")?.delta ?? null,
        tx_packets: one("tx_packets")?.delta ?? null,
        rx_drops: one("rx_drops")?.delta ?? null,
        tx_drops: one("tx_drops")?.delta ?? null,
      };
    })
    .sort((a, b) => (a.iface < b.iface ? -1 : 1));
}

/** Why a VM has no exit count, in the run's words. */
function noExits(vm: Pick<RunVm, "vm" | "accel" | "kvm_stats" | "host_agent">, kvmSeries: number, reason: string): string {
  if (vm.accel === "tcg") return "tcg: no KVM exits";
  if (vm.kvm_stats === "unavailable") return `KVM counters unavailable on ${vm.host_agent} (the vm sampler says why in its problems)`;
  return kvmSeries === 0 ? `no KVM counters from ${vm.host_agent} in the window` : reason;
}

/** The run's VMs, found by their guest agents' machine UUIDs. */
export async function runVms(store: Store, agentIds: readonly string[], w: Window): Promise<RunVms> {
  const { vmUuids: uuids, namespaced } = await guestUuids(store, agentIds);
  const out: RunVms = { vms: [], hostAgents: [], namespaced, notes: [] };
  if (uuids.size === 0) {
    if (namespaced.length === 0) out.notes.push("no guest agent in this run: no VM to read exits from");
    return out;
  }
  for (const [uuid, guests] of uuids) {
    const q = (measurement: string) => store.query({ measurement, fromNs: w.fromNs, toNs: w.toNs, tags: { vm_uuid: uuid } });
    const [info, kvm, thread, net] = await Promise.all([q("vm_info"), q("vm_kvm"), q("vm_thread"), q("vm_net")]);
    const found = new Map<string, Series>();
    for (const s of [...info, ...kvm]) if (!found.has(key(s))) found.set(key(s), s);
    if (found.size === 0) {
      out.notes.push(`guest agent ${guests.join(", ")} (machine UUID ${uuid}): no host agent reports a VM with this UUID in the window`);
      continue;
    }
    for (const [k, s] of found) {
      const mine = (list: readonly Series[]) => list.filter((x) => key(x) === k);
      const i = mine(info)[0];
      const vm = { vm: s.tags["vm"] ?? "", host_agent: s.tags["agent_id"] ?? "", accel: i?.tags["accel"] ?? "", kvm_stats: i?.tags["kvm_stats"] ?? "" };
      const exits = counterSpan(mine(kvm), "exits_total", w);
      out.vms.push({
        ...vm,
        vm_uuid: uuid,
        guest_agents: [...guests],
        threads: threads(mine(thread), w),
        net: nets(mine(net), w),
        exits: "span" in exits ? exits.span.delta : null,
        exits_reason: "span" in exits ? null : noExits(vm, mine(kvm).length, exits.reason),
      });
    }
  }
  out.hostAgents = [...new Set(out.vms.map((v) => v.host_agent))].sort();
  return out;
}
