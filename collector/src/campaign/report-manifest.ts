// The report's host facts: both ends' manifests as readable key/value rows (one value when the ends agree, one per
// end otherwise; offloads as "feature on/off" per end and interface, never raw JSON). Pure.
import type { Manifest } from "./manifest.ts";

/** One end of the pair: "server" or "client", and its manifest. */
export interface ManifestEnd {
  role: string;
  manifest: Manifest;
}

const SCALARS: ReadonlyArray<[string, (m: Manifest) => string | null]> = [
  ["kernel", (m) => m.kernel || null],
  ["cpu", (m) => m.cpu_model || null],
  ["iperf3", (m) => m.iperf3_version],
  ["qemu", (m) => m.qemu_version],
  ["congestion control", (m) => m.congestion || null],
  ["agent version", (m) => m.agent_version || null],
];

const who = (e: ManifestEnd): string => `${e.role} ${e.manifest.agent_id}`;

/** "6.1.0" when every end says so; "server a: x; client b: y" otherwise; "not recorded" for null. */
function agreed(ends: readonly ManifestEnd[], get: (m: Manifest) => string | null): string {
  const values = ends.map((e) => get(e.manifest) ?? "not recorded");
  if (values.every((v) => v === values[0])) return values[0] ?? "not recorded";
  return ends.map((e, i) => `${who(e)}: ${values[i] ?? ""}`).join("; ");
}

/** "tx-checksumming on, generic-receive-offload off" in the manifest's feature order. */
export function offloadText(features: Readonly<Record<string, boolean>>): string {
  const parts = Object.entries(features).map(([f, on]) => `${f} ${on ? "on" : "off"}`);
  return parts.length === 0 ? "no features recorded" : parts.join(", ");
}

function perInterface<T>(ends: readonly ManifestEnd[], pick: (m: Manifest) => Record<string, T>, text: (v: T) => string): string {
  const parts = ends.map((e) => {
    const entries = Object.entries(pick(e.manifest)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `${who(e)}: ${entries.length === 0 ? "not recorded" : entries.map(([iface, v]) => `${iface} ${text(v)}`).join(", ")}`;
  });
  return parts.join("; ");
}

/** Host facts of the pair's ends, in a fixed order; {} without a manifest. */
export function manifestFacts(ends: readonly ManifestEnd[]): Record<string, string> {
  if (ends.length === 0) return {};
  const out: Record<string, string> = { agents: ends.map(who).join(", ") };
  for (const [key, get] of SCALARS) out[key] = agreed(ends, get);
  for (const e of ends) {
    const ifaces = Object.keys(e.manifest.offloads).sort();
    if (ifaces.length === 0) out[`offloads, ${who(e)}`] = "not recorded";
    for (const iface of ifaces) out[`offloads, ${who(e)}, ${iface}`] = offloadText(e.manifest.offloads[iface] ?? {});
  }
  out["qdisc"] = perInterface(ends, (m) => m.qdisc, (q) => q || "none");
  out["mtu"] = perInterface(ends, (m) => m.mtu, (n) => `${n} B`);
  return out;
}
