// Pure views of host state the settings actions read back (ethtool -k, tc qdisc show) and the argv
// arrays that change it. Nothing here runs a tool.
import { ParseError } from "@eastwest/common";
import { parseEthtoolFeatures } from "../../host/ethtool.parse.ts";
import { parseQdiscs } from "../../host/tc.parse.ts";
import { lines, words } from "../../host/text.ts";
import { FEATURE_SHORT, type FeatureName } from "./settings.kinds.ts";

export interface FeatureState {
  on: boolean;
  fixed: boolean;
  /** "[requested on|off]": the state asked for when the device gives another. */
  requested?: boolean;
  /** The aggregate (tab-indented under it in `ethtool -k`) this kernel feature belongs to. */
  parent?: string;
}

/** Every line of `ethtool -k <if>`, by the name it prints. */
export type FeatureMap = Record<string, FeatureState>;

const NAME = /^\s*([a-z0-9][a-z0-9_-]*):/;
/** A kernel feature name as `ethtool -K` takes it (never an option: no leading '-'). */
const FEATURE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** `ethtool -k` text -> every feature with its aggregate; values parsed by netstate's parseEthtoolFeatures. */
export function featureMap(text: string, source: string): FeatureMap {
  const parsed = parseEthtoolFeatures(text, source);
  if (parsed.errors.length > 0) throw new ParseError(source, parsed.errors.join("; "));
  const out: FeatureMap = {};
  let top: string | undefined;
  for (const line of lines(text)) {
    const name = NAME.exec(line)?.[1];
    const f = name === undefined ? undefined : parsed.features.get(name);
    if (name === undefined || f === undefined) continue;
    const sub = /^\s/.test(line);
    if (!sub) top = name;
    out[name] = { ...f, ...(sub && top !== undefined ? { parent: top } : {}) };
  }
  return out;
}

function sameFeature(a: FeatureState | undefined, b: FeatureState | undefined): boolean {
  return a !== undefined && b !== undefined && a.on === b.on && a.fixed === b.fixed && a.requested === b.requested;
}

/** Names whose state differs between two `ethtool -k` readings (present in either), sorted. */
export function featureDiff(before: FeatureMap, now: FeatureMap): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(now)]);
  return [...names].filter((n) => !sameFeature(before[n], now[n])).sort();
}

/** A feature group: the aggregate and the kernel features listed under it. */
export function groupOf(map: FeatureMap, feature: string): string[] {
  return [feature, ...Object.keys(map).filter((n) => map[n]?.parent === feature)];
}

export function renderFeature(map: FeatureMap, feature: string): string {
  const f = map[feature];
  if (f === undefined) return "absent";
  return `${f.on ? "on" : "off"}${f.requested === undefined ? "" : ` [requested ${f.requested ? "on" : "off"}]`}`;
}

/** `ethtool -K <if> <short> on|off`. */
export function ethtoolSetArgs(iface: string, feature: FeatureName, on: boolean): string[] {
  return ["-K", iface, FEATURE_SHORT[feature], on ? "on" : "off"];
}

/**
 * Kernel sub-features (the tab-indented names, which `ethtool -K` accepts) that differ from `before` and are
 * settable: `ethtool -K <if> <name> on|off ...`, or undefined when there is nothing to fix.
 */
export function subFeatureFixArgs(iface: string, before: FeatureMap, now: FeatureMap): string[] | undefined {
  const fix = featureDiff(before, now).filter((n) => {
    const b = before[n];
    return FEATURE_NAME.test(n) && b !== undefined && b.parent !== undefined && !b.fixed && now[n] !== undefined && now[n]?.on !== b.on;
  });
  if (fix.length === 0) return undefined;
  return ["-K", iface, ...fix.flatMap((n) => [n, before[n]?.on ? "on" : "off"])];
}

export interface RootQdisc {
  kind: string;
  handle: string;
  /** Handle 0: — attached by the kernel, not by `tc` (what `tc qdisc del dev X root` returns to). */
  isDefault: boolean;
  /** Parameters as tc prints them, without handle and refcnt (compared on read-back). */
  options: string;
  /** Qdiscs under this root (e.g. the per-queue ones of mq). */
  children: number;
}

function major(handleOrParent: string): string {
  return handleOrParent.split(":")[0] || "0";
}

/** `tc qdisc show dev <if>` -> its root qdisc, or null when the device has none. */
export function rootQdisc(text: string, source: string): RootQdisc | null {
  const qdiscs = parseQdiscs(text, source);
  const at = qdiscs.findIndex((q) => q.attach === "root");
  const root = qdiscs[at];
  if (root === undefined) return null;
  const w = words(lines(text)[at] ?? "").slice(4);
  const refcnt = w.indexOf("refcnt");
  if (refcnt >= 0) w.splice(refcnt, 2);
  const children = qdiscs.filter((q) => q.attach.startsWith("parent ") && major(q.attach.slice(7)) === major(root.handle)).length;
  return { kind: root.kind, handle: root.handle, isDefault: major(root.handle) === "0", options: w.join(" "), children };
}

export function sameQdisc(a: RootQdisc | null, b: RootQdisc | null): boolean {
  if (a === null || b === null) return a === b;
  return a.kind === b.kind && a.isDefault === b.isDefault && a.options === b.options;
}

export function renderQdisc(q: RootQdisc | null): string {
  return q === null ? "none" : `${q.kind}${q.isDefault ? " (default)" : ""}`;
}

/** `tc qdisc replace dev <if> root <kind>`. */
export function qdiscReplaceArgs(iface: string, kind: string): string[] {
  return ["qdisc", "replace", "dev", iface, "root", kind];
}

/** `tc qdisc del dev <if> root`: the kernel attaches its default root qdisc again. */
export function qdiscDeleteArgs(iface: string): string[] {
  return ["qdisc", "del", "dev", iface, "root"];
}

/** `ip link set dev <if> mtu <n>`. */
export function mtuArgs(iface: string, mtu: number): string[] {
  return ["link", "set", "dev", iface, "mtu", String(mtu)];
}
