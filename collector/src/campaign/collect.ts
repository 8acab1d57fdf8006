// The reproducibility manifest of an agent as the collector knows it: its
// registry record (kernel, agent version) and its latest netstate samples
// (offloads, qdisc, MTU, congestion control), plus iperf3's version from the
// run (else the agent's own iperf3 --version). cpu_model and tool versions come from the agent's hello.
import type { Store } from "../store/types.ts";
import type { Manifest } from "./manifest.ts";
import { ETHTOOL_FEATURE } from "./types.ts";

const FEATURE_FIELDS: Record<string, string> = Object.fromEntries(Object.values(ETHTOOL_FEATURE).map((f) => [f.replace(/-/g, "_"), f]));

export async function manifestOf(store: Store, agentId: string, iperf3Version: string | null): Promise<Manifest> {
  const [agent, net, stack] = await Promise.all([
    store.getAgent(agentId),
    store.latest({ measurement: "netstate", tags: { agent_id: agentId } }),
    store.latest({ measurement: "netstate_stack", tags: { agent_id: agentId } }),
  ]);
  const m: Manifest = {
    agent_id: agentId,
    agent_version: agent?.agentVersion ?? "",
    kernel: agent?.kernel ?? "",
    qemu_version: agent?.toolVersions?.["qemu"] || null,
    iperf3_version: iperf3Version ?? (agent?.toolVersions?.["iperf3"] || null),
    cpu_model: agent?.cpuModel ?? "",
    congestion: stack[0]?.tags["congestion_control"] ?? "",
    offloads: {},
    qdisc: {},
    mtu: {},
  };
  for (const row of net) {
    const iface = row.tags["interface"];
    if (!iface) continue;
    m.qdisc[iface] = row.tags["qdisc"] ?? "";
    if (typeof row.fields["mtu_bytes"] === "bigint") m.mtu[iface] = Number(row.fields["mtu_bytes"]);
    const offloads: Record<string, boolean> = {};
    for (const [field, feature] of Object.entries(FEATURE_FIELDS)) if (typeof row.fields[field] === "boolean") offloads[feature] = row.fields[field] as boolean;
    m.offloads[iface] = offloads;
  }
  return m;
}

/** iperf3's version string from a -J document (start.version), else null. */
export function iperf3VersionOf(doc: unknown): string | null {
  const v = (doc as { start?: { version?: unknown } } | undefined)?.start?.version;
  return typeof v === "string" ? v : null;
}
