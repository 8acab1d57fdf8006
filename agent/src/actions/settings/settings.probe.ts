// Reads what validation and the snapshot need, for accepted drafts only: a name that failed the allow-list
// never reaches a tool. Read-only: `ethtool -k`, `tc qdisc show`, /sys, /proc, `modprobe -n` (dry run).
import { errorMessage } from "@eastwest/common";
import type { Change } from "./settings.kinds.ts";
import {
  readAvailableCongestion, readFeatures, readInterfaces, readMtu, readQdisc, readSysctl, tool, type SettingsDeps,
} from "./settings.host.ts";
import type { FeatureMap, RootQdisc } from "./settings.state.ts";

export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Probe {
  interfaces: Read<ReadonlySet<string>>;
  /** Per interface with an ethtool_feature change. */
  features: Map<string, Read<FeatureMap>>;
  /** Per interface with a qdisc change. */
  qdiscs: Map<string, Read<RootQdisc | null>>;
  /** Per interface with an mtu change (bytes). */
  mtus: Map<string, Read<number>>;
  /** Per allow-listed key, normalized. */
  sysctls: Map<string, Read<string>>;
  /** tcp_available_congestion_control; undefined unless a congestion control change is asked for. */
  congestion?: Read<string[]>;
  /** Per congestion-control name that is not available: whether `modprobe -n -q tcp_<name>` finds a module. */
  modules: Map<string, Read<true>>;
}

async function attempt<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

async function readOnce<T>(into: Map<string, Read<T>>, key: string, read: () => Promise<T>): Promise<void> {
  if (!into.has(key)) into.set(key, await attempt(read));
}

async function probeInterface(probe: Probe, c: Exclude<Change, { kind: "sysctl" }>, deps: SettingsDeps): Promise<void> {
  if (!probe.interfaces.ok || !probe.interfaces.value.has(c.iface)) return;
  if (c.kind === "ethtool_feature") await readOnce(probe.features, c.iface, () => readFeatures(deps, c.iface));
  if (c.kind === "qdisc") await readOnce(probe.qdiscs, c.iface, () => readQdisc(deps, c.iface));
  if (c.kind === "mtu") await readOnce(probe.mtus, c.iface, () => readMtu(deps, c.iface));
}

async function probeCongestion(probe: Probe, name: string, deps: SettingsDeps): Promise<void> {
  probe.congestion ??= await attempt(() => readAvailableCongestion(deps));
  if (!probe.congestion.ok || probe.congestion.value.includes(name)) return;
  // why: a dry run tells whether a module tcp_<name> exists before anything changes, so a misspelt name is
  // refused up front; the load itself is then an explicit step of the apply, undone on restore.
  await readOnce(probe.modules, name, async () => {
    await tool(deps, "modprobe", ["-n", "-q", `tcp_${name}`]);
    return true as const;
  });
}

/** Reads the state of every accepted draft's target (validate's Draft fits). Never throws: failures are recorded per target. */
export async function probeHost(drafts: readonly { readonly change: Change }[], deps: SettingsDeps): Promise<Probe> {
  const probe: Probe = {
    interfaces: { ok: true, value: new Set() },
    features: new Map(),
    qdiscs: new Map(),
    mtus: new Map(),
    sysctls: new Map(),
    modules: new Map(),
  };
  if (drafts.some((d) => d.change.kind !== "sysctl")) probe.interfaces = await attempt(() => readInterfaces(deps));
  for (const { change: c } of drafts) {
    if (c.kind !== "sysctl") {
      await probeInterface(probe, c, deps);
      continue;
    }
    await readOnce(probe.sysctls, c.key, () => readSysctl(deps, c.key));
    if (c.key === "net.ipv4.tcp_congestion_control") await probeCongestion(probe, c.value, deps);
  }
  return probe;
}
