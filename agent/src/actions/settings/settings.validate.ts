// ApplySettings -> typed changes (pure). Two passes, every problem reported at once: parseSettings checks
// each Setting against the allow-list before anything runs; checkProbe checks the accepted ones against
// what was read from the host (interface exists, feature not [fixed], sysctl present, algorithm loadable).
import type { ApplySettings, Setting } from "@eastwest/proto";
import {
  FEATURE_SHORT, INTERFACE_NAME, KINDS, MTU_MAX, MTU_MIN, QDISCS, SYSCTLS, TOKEN, changeKey, featureNamed, holdKey,
  type Change, type QdiscKind,
} from "./settings.kinds.ts";
import type { Probe } from "./settings.probe.ts";

/** At most this many settings per ApplySettings. */
export const MAX_SETTINGS = 64;

export interface Draft {
  /** Position in ApplySettings.settings. */
  index: number;
  change: Change;
}

const q = (v: unknown): string => JSON.stringify(v);
/** Why a read failed. */
const why = (r: { ok: boolean; error?: string } | undefined): string => r?.error ?? "not read";

function ifaceProblem(target: string): string | undefined {
  if (typeof target !== "string" || !INTERFACE_NAME.test(target)) return `target: expected an interface name matching ${INTERFACE_NAME.source}, got ${q(target)}`;
  if (target.startsWith("-")) return `target: an interface name must not start with '-', got ${q(target)}`;
  return undefined;
}

function emptyName(s: Setting): string[] {
  return s.name === "" ? [] : [`name: must be empty for kind ${s.kind}, got ${q(s.name)}`];
}

type Parsed = { change?: Change; problems: string[] };

function parseInterfaceSetting(s: Setting): Parsed {
  const problems: string[] = [];
  const bad = ifaceProblem(s.target);
  if (bad) problems.push(bad);
  const iface = s.target;
  if (s.kind === "ethtool_feature") {
    const feature = featureNamed(s.name);
    if (feature === undefined) problems.push(`name: expected one of ${Object.entries(FEATURE_SHORT).map(([l, sh]) => `${l} (${sh})`).join(", ")}, got ${q(s.name)}`);
    if (s.value !== "on" && s.value !== "off") problems.push(`value: expected "on" or "off", got ${q(s.value)}`);
    if (problems.length > 0 || feature === undefined) return { problems };
    return { change: { kind: "ethtool_feature", iface, feature, value: s.value as "on" | "off" }, problems };
  }
  problems.push(...emptyName(s));
  if (s.kind === "qdisc") {
    if (!(QDISCS as readonly string[]).includes(s.value)) problems.push(`value: expected one of ${QDISCS.join(", ")}, got ${q(s.value)}`);
    return problems.length > 0 ? { problems } : { change: { kind: "qdisc", iface, value: s.value as QdiscKind }, problems };
  }
  const mtu = /^\d{1,5}$/.test(s.value) ? Number(s.value) : NaN;
  if (!(mtu >= MTU_MIN && mtu <= MTU_MAX)) problems.push(`value: expected an MTU in ${MTU_MIN}..${MTU_MAX}, got ${q(s.value)}`);
  return problems.length > 0 ? { problems } : { change: { kind: "mtu", iface, value: mtu }, problems };
}

function parseSysctl(s: Setting): Parsed {
  const rule = SYSCTLS[s.target];
  if (rule === undefined) return { problems: [`target: sysctl ${q(s.target)} is not allow-listed (allowed: ${Object.keys(SYSCTLS).join(", ")})`] };
  const problems = emptyName(s);
  const bad = rule.check(s.value);
  if (bad) problems.push(`value: ${bad}`);
  return problems.length > 0 ? { problems } : { change: { kind: "sysctl", key: s.target, value: rule.normalize(s.value) }, problems };
}

function parseOne(s: Setting): Parsed {
  switch (s.kind) {
    case "sysctl":
      return parseSysctl(s);
    case "ethtool_feature":
    case "qdisc":
    case "mtu":
      return parseInterfaceSetting(s);
    default:
      return { problems: [`kind: expected one of ${KINDS.join(", ")}, got ${q(s.kind)}`] };
  }
}

/** Allow-list checks of every Setting and the token; nothing is read or run. */
export function parseSettings(spec: ApplySettings): { drafts: Draft[]; problems: string[] } {
  const problems: string[] = [];
  if (typeof spec.token !== "string" || !TOKEN.test(spec.token)) problems.push(`token: expected ${TOKEN.source}, got ${q(spec.token)}`);
  if (spec.settings.length === 0) problems.push("settings: empty, nothing to apply");
  if (spec.settings.length > MAX_SETTINGS) problems.push(`settings: at most ${MAX_SETTINGS}, got ${spec.settings.length}`);
  const drafts: Draft[] = [];
  const seen = new Map<string, number>();
  spec.settings.forEach((s, index) => {
    const { change, problems: own } = parseOne(s);
    problems.push(...own.map((p) => `settings[${index}].${p}`));
    if (change === undefined) return;
    const first = seen.get(changeKey(change));
    if (first !== undefined) problems.push(`settings[${index}]: ${changeKey(change)} is already set by settings[${first}]`);
    else seen.set(changeKey(change), index);
    drafts.push({ index, change });
  });
  return { drafts, problems };
}

function ifaceStateProblem(d: Draft, probe: Probe): string | undefined {
  if (d.change.kind === "sysctl") return undefined;
  const iface = d.change.iface;
  if (!probe.interfaces.ok) return `cannot list /sys/class/net: ${probe.interfaces.error}`;
  if (!probe.interfaces.value.has(iface)) return `no interface ${q(iface)} in /sys/class/net (this network namespace)`;
  return undefined;
}

function ethtoolProblem(c: Extract<Change, { kind: "ethtool_feature" }>, probe: Probe): string | undefined {
  const read = probe.features.get(c.iface);
  if (read === undefined || !read.ok) return `cannot read ethtool -k ${c.iface}: ${why(read)}`;
  const f = read.value[c.feature];
  if (f === undefined) return `ethtool -k ${c.iface} does not list ${c.feature}`;
  if (f.fixed) return `${c.feature} is [fixed] on ${c.iface}: the driver does not allow changing it`;
  return undefined;
}

function qdiscProblem(c: Extract<Change, { kind: "qdisc" }>, probe: Probe): string | undefined {
  const read = probe.qdiscs.get(c.iface);
  if (read === undefined || !read.ok) return `cannot read tc qdisc show dev ${c.iface}: ${why(read)}`;
  const root = read.value;
  if (root === null || root.isDefault) return undefined;
  if (!(QDISCS as readonly string[]).includes(root.kind) || root.children > 0) {
    const children = root.children > 0 ? ` with ${root.children} child qdiscs` : "";
    return `the root qdisc of ${c.iface} is ${root.kind} ${root.handle}${children}, set by someone else; `
      + "only an allow-listed kind without children or the kernel default can be restored";
  }
  return undefined;
}

function sysctlProblem(c: Extract<Change, { kind: "sysctl" }>, probe: Probe): string | undefined {
  const read = probe.sysctls.get(c.key);
  if (read === undefined || !read.ok) {
    return `cannot read ${c.key} in this network namespace (global sysctls such as net.core.busy_poll exist only in the initial one): ${why(read)}`;
  }
  if (c.key !== "net.ipv4.tcp_congestion_control") return undefined;
  if (probe.congestion === undefined || !probe.congestion.ok) return `cannot read tcp_available_congestion_control: ${why(probe.congestion)}`;
  if (probe.congestion.value.includes(c.value)) return undefined;
  const mod = probe.modules.get(c.value);
  if (mod?.ok) return undefined;
  const available = probe.congestion.value.join(" ") || "none";
  return `congestion control ${q(c.value)} is not available (available: ${available}) and module tcp_${c.value} cannot be loaded: ${why(mod)}`;
}

function stateProblem(d: Draft, probe: Probe): string | undefined {
  const c = d.change;
  switch (c.kind) {
    case "ethtool_feature":
      return ethtoolProblem(c, probe);
    case "qdisc":
      return qdiscProblem(c, probe);
    case "mtu": {
      const read = probe.mtus.get(c.iface);
      return read?.ok ? undefined : `cannot read /sys/class/net/${c.iface}/mtu: ${why(read)}`;
    }
    case "sysctl":
      return sysctlProblem(c, probe);
  }
}

/** Host-state checks of accepted drafts; `held` maps hold keys of pending tokens to their token. */
export function checkProbe(drafts: readonly Draft[], probe: Probe, token: string, held: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const d of drafts) {
    const other = held.get(holdKey(d.change));
    if (other !== undefined && other !== token) problems.push(`settings[${d.index}]: ${holdKey(d.change)} is held by token ${q(other)} (applied, not restored yet)`);
    const bad = ifaceStateProblem(d, probe) ?? stateProblem(d, probe);
    if (bad) problems.push(`settings[${d.index}]: ${bad}`);
  }
  return problems;
}
