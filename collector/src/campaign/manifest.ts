// The reproducibility manifest: what one agent's environment was during a run, stored with every run, and
// the difference between two of them, so a change in throughput can be laid next to what else changed.
// Pure.

export interface Manifest {
  agent_id: string;
  agent_version: string;
  /** uname -r. */
  kernel: string;
  /** QEMU version of the hypervisor running the guests; null: not known on this agent. */
  qemu_version: string | null;
  /** iperf3 --version's first line; null: not installed. */
  iperf3_version: string | null;
  /** /proc/cpuinfo "model name". */
  cpu_model: string;
  /** net.ipv4.tcp_congestion_control. */
  congestion: string;
  /** Interface -> ethtool feature name (e.g. tx-checksumming) -> on. */
  offloads: Record<string, Record<string, boolean>>;
  /** Interface -> root qdisc kind. */
  qdisc: Record<string, string>;
  /** Interface -> MTU, bytes. */
  mtu: Record<string, number>;
}

export const MANIFEST_FIELDS = ["kernel", "qemu_version", "iperf3_version", "cpu_model", "offloads", "congestion", "qdisc", "mtu", "agent_version"] as const;
export type ManifestField = (typeof MANIFEST_FIELDS)[number] | "agent";

export type ManifestValue = string | number | boolean | null;

export interface ManifestChange {
  agent_id: string;
  field: ManifestField;
  /** Interface (qdisc, mtu) or "interface/feature" (offloads); "" for scalar fields. */
  key: string;
  /** null: absent on that side. */
  before: ManifestValue;
  after: ManifestValue;
}

export interface ManifestDiff {
  /** Fields with at least one change, in MANIFEST_FIELDS order ("agent" first when an agent came or went). */
  changed: ManifestField[];
  changes: ManifestChange[];
}

const SCALARS = ["kernel", "qemu_version", "iperf3_version", "cpu_model", "congestion", "agent_version"] as const;

function recordChanges(agent: string, field: ManifestField, a: Record<string, ManifestValue>, b: Record<string, ManifestValue>): ManifestChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => (a[k] ?? null) !== (b[k] ?? null)).map((k) => ({ agent_id: agent, field, key: k, before: a[k] ?? null, after: b[k] ?? null }));
}

function flattenOffloads(o: Manifest["offloads"]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [iface, features] of Object.entries(o)) for (const [f, on] of Object.entries(features)) out[`${iface}/${f}`] = on;
  return out;
}

function agentChanges(a: Manifest, b: Manifest): ManifestChange[] {
  const agent = b.agent_id;
  const out: ManifestChange[] = [];
  for (const field of MANIFEST_FIELDS) {
    if (field === "offloads") out.push(...recordChanges(agent, field, flattenOffloads(a.offloads), flattenOffloads(b.offloads)));
    else if (field === "qdisc" || field === "mtu") out.push(...recordChanges(agent, field, a[field], b[field]));
    else if ((SCALARS as readonly string[]).includes(field) && a[field] !== b[field]) out.push({ agent_id: agent, field, key: "", before: a[field], after: b[field] });
  }
  return out;
}

function changedFields(changes: readonly ManifestChange[]): ManifestField[] {
  const seen = new Set(changes.map((c) => c.field));
  return (["agent", ...MANIFEST_FIELDS] as ManifestField[]).filter((f) => seen.has(f));
}

/** What changed from a to b (one agent's manifests; compared field by field whatever their agent ids). */
export function manifestDiff(a: Manifest, b: Manifest): ManifestDiff {
  const changes = agentChanges(a, b);
  return { changed: changedFields(changes), changes };
}

/** What changed between two sets of agent manifests, matched by agent_id; an agent on one side only is an "agent" change. */
export function manifestsDiff(a: readonly Manifest[], b: readonly Manifest[]): ManifestDiff {
  const before = new Map(a.map((m) => [m.agent_id, m]));
  const after = new Map(b.map((m) => [m.agent_id, m]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: ManifestChange[] = [];
  for (const id of ids) {
    const x = before.get(id);
    const y = after.get(id);
    if (x && y) changes.push(...agentChanges(x, y));
    else changes.push({ agent_id: id, field: "agent", key: "", before: x ? "present" : null, after: y ? "present" : null });
  }
  return { changed: changedFields(changes), changes };
}
