// A journal entry: one accepted change and the state read before it (what a restore returns to). Pure.
import { QDISCS, SYSCTLS, describe, type Change, type QdiscKind } from "./settings.kinds.ts";
import type { Probe } from "./settings.probe.ts";
import { renderFeature, renderQdisc, type FeatureMap, type RootQdisc } from "./settings.state.ts";
import type { Draft } from "./settings.validate.ts";

type Of<K extends Change["kind"]> = Extract<Change, { kind: K }>;

export type Entry =
  /** before: the interface's whole `ethtool -k`, so a restore is checked against every feature, not one. */
  | { kind: "ethtool_feature"; change: Of<"ethtool_feature">; before: FeatureMap }
  /** module: tcp_<cc> that the apply loads (modprobe) and the restore unloads, best effort. */
  | { kind: "sysctl"; change: Of<"sysctl">; before: string; module?: string }
  | { kind: "qdisc"; change: Of<"qdisc">; before: RootQdisc | null }
  /** before: bytes. */
  | { kind: "mtu"; change: Of<"mtu">; before: number };

function read<T>(r: { ok: true; value: T } | { ok: false; error: string } | undefined, what: string): T {
  if (r === undefined || !r.ok) throw new Error(`${what} was not read`);
  return r.value;
}

/** The entry of a draft that passed checkProbe. */
export function entryOf(d: Draft, probe: Probe): Entry {
  const c = d.change;
  switch (c.kind) {
    case "ethtool_feature":
      return { kind: c.kind, change: c, before: read(probe.features.get(c.iface), `ethtool -k ${c.iface}`) };
    case "qdisc":
      return { kind: c.kind, change: c, before: read(probe.qdiscs.get(c.iface), `tc qdisc show dev ${c.iface}`) };
    case "mtu":
      return { kind: c.kind, change: c, before: read(probe.mtus.get(c.iface), `mtu of ${c.iface}`) };
    case "sysctl": {
      const before = read(probe.sysctls.get(c.key), c.key);
      const load = c.key === "net.ipv4.tcp_congestion_control" && probe.congestion?.ok === true && !probe.congestion.value.includes(c.value);
      return load ? { kind: c.kind, change: c, before, module: `tcp_${c.value}` } : { kind: c.kind, change: c, before };
    }
  }
}

/** The before state as reported: "on"/"off" (ethtool), the sysctl value, "noqueue (default)", "1500". */
export function beforeText(e: Entry): string {
  switch (e.kind) {
    case "ethtool_feature":
      return renderFeature(e.before, e.change.feature);
    case "sysctl":
      return e.before;
    case "qdisc":
      return renderQdisc(e.before);
    case "mtu":
      return String(e.before);
  }
}

/** The interface an entry changes, if any. */
export function ifaceOf(e: Entry): string | undefined {
  return e.kind === "sysctl" ? undefined : e.change.iface;
}

/** Warnings for an apply (risky values). */
export function warningsOf(entries: readonly Entry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.kind !== "sysctl") continue;
    const w = SYSCTLS[e.change.key]?.warn?.(e.change.value);
    if (w) out.push(`${e.change.key}=${e.change.value}: ${w}`);
    if (e.module) out.push(`${e.change.key}=${e.change.value}: loads module ${e.module} (unloaded on restore when unused)`);
  }
  return out;
}

export interface SettingReport {
  kind: string;
  target: string;
  name: string;
  /** The value asked for. */
  value: string;
  before: string;
  /** Read back after the change; absent when it was not applied (or the agent restarted since). */
  applied?: string;
  /** Read back after the restore. */
  restored?: string;
  /** restored equals before (ethtool: the whole `ethtool -k` of the interface equals the snapshot). */
  verified?: boolean;
  detail?: string;
}

export function reportOf(e: Entry, applied?: string): SettingReport {
  return { ...describe(e.change), before: beforeText(e), ...(applied === undefined ? {} : { applied }) };
}

/** Qdisc kinds a restore may re-create with `tc qdisc replace`. */
export function restorableQdisc(kind: string): kind is QdiscKind {
  return (QDISCS as readonly string[]).includes(kind);
}
