// The VMs the host agents see, with their exit rates and the guest agent
// (if any) that runs inside each, linked by machine UUID. Pure.
import type { AgentRecord, LatestRow } from "./store/types.ts";

export interface VmSummary {
  vm: string;
  vmUuid: string;
  hostAgent: string;
  accel: string;
  kvmStats: string;
  vcpus: number | null;
  exitsPerS: number | null;
  exitsTotal: bigint | null;
  ioExitsPerS: number | null;
  mmioExitsPerS: number | null;
  haltExitsPerS: number | null;
  /** Guest agents whose machine UUID is this VM's. */
  guestAgents: string[];
  lastSeenNs: bigint;
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null);

export function summarizeVms(info: readonly LatestRow[], kvm: readonly LatestRow[], agents: readonly AgentRecord[]): VmSummary[] {
  const key = (r: LatestRow) => `${r.tags["agent_id"] ?? ""}\u0000${r.tags["vm"] ?? ""}\u0000${r.tags["vm_uuid"] ?? ""}`;
  const kvmBy = new Map(kvm.map((r) => [key(r), r]));
  const guests = new Map<string, string[]>();
  for (const a of agents) {
    if (a.role !== "guest" || !a.machineUuid) continue;
    const u = a.machineUuid.toLowerCase();
    guests.set(u, [...(guests.get(u) ?? []), a.agentId]);
  }
  return info
    .map((r) => {
      const k = kvmBy.get(key(r));
      const uuid = (r.tags["vm_uuid"] ?? "").toLowerCase();
      const total = k?.fields["exits_total"];
      return {
        vm: r.tags["vm"] ?? "",
        vmUuid: uuid,
        hostAgent: r.tags["agent_id"] ?? "",
        accel: r.tags["accel"] ?? "",
        kvmStats: r.tags["kvm_stats"] ?? "",
        vcpus: num(r.fields["vcpus"]),
        exitsPerS: num(k?.fields["exits_per_s"]),
        exitsTotal: typeof total === "bigint" ? total : null,
        ioExitsPerS: num(k?.fields["io_exits_per_s"]),
        mmioExitsPerS: num(k?.fields["mmio_exits_per_s"]),
        haltExitsPerS: num(k?.fields["halt_exits_per_s"]),
        guestAgents: uuid ? (guests.get(uuid) ?? []) : [],
        lastSeenNs: k && k.timeNs > r.timeNs ? k.timeNs : r.timeNs,
      };
    })
    .sort((a, b) => (a.hostAgent + a.vm < b.hostAgent + b.vm ? -1 : 1));
}

export function formatVms(vms: readonly VmSummary[]): string {
  if (vms.length === 0) return "no VMs reported by any host agent\n";
  const rows = [["host agent", "vm", "uuid", "accel", "kvm stats", "vcpus", "exits/s", "io/s", "mmio/s", "halt/s", "guest agents"]];
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(1));
  for (const v of vms) {
    rows.push([v.hostAgent, v.vm, v.vmUuid || "-", v.accel, v.kvmStats, v.vcpus === null ? "-" : String(v.vcpus), f(v.exitsPerS), f(v.ioExitsPerS), f(v.mmioExitsPerS), f(v.haltExitsPerS), v.guestAgents.join(",") || "-"]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}
