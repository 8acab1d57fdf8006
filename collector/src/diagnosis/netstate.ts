// The state of the run's interface at one end from netstate snapshots (offloads, root qdisc, MTU): the newest
// row at or before the window's end. Pure.
import type { Series } from "../store/types.ts";
import type { RunSamples } from "./samples.ts";

export interface IfaceState {
  iface: string;
  qdisc: string;
  /** ethtool field (schema netstate, e.g. tx_checksumming) -> on. */
  features: Record<string, boolean>;
  mtu: number | undefined;
  atNs: bigint;
}

/** The interface's newest netstate row at or before toNs; undefined when none. */
export function ifaceState(samples: RunSamples | null, side: "server" | "client", iface: string | null | undefined): IfaceState | undefined {
  if (!samples || !iface) return undefined;
  const list = samples[side]?.netstate;
  const series: Series[] = (Array.isArray(list) ? list : []).filter((s) => s?.tags?.["interface"] === iface);
  let best: IfaceState | undefined;
  for (const s of series) {
    const cols = Array.isArray(s.columns) ? s.columns : [];
    for (const row of Array.isArray(s.values) ? s.values : []) {
      const t = Array.isArray(row) ? row[0] : undefined;
      const tn = typeof t === "bigint" ? t : typeof t === "number" ? BigInt(Math.round(t)) : undefined;
      if (tn === undefined || tn > samples.toNs || (best && tn < best.atNs)) continue;
      const features: Record<string, boolean> = {};
      cols.forEach((c, i) => {
        const v = row[i];
        if (i > 0 && typeof v === "boolean" && !c.endsWith("_fixed")) features[c] = v;
      });
      const mi = cols.indexOf("mtu_bytes");
      const mtu = mi > 0 && (typeof row[mi] === "number" || typeof row[mi] === "bigint") ? Number(row[mi]) : undefined;
      best = { iface, qdisc: s.tags["qdisc"] ?? "", features, mtu, atNs: tn };
    }
  }
  return best;
}
