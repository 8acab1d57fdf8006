// The allow-list (pure): setting kinds, ethtool features, sysctl keys, qdiscs and ranges the agent
// accepts, and the typed change each accepted Setting becomes.
import type { FEATURES } from "../../host/ethtool.parse.ts";

export const KINDS = ["ethtool_feature", "sysctl", "qdisc", "mtu"] as const;
export type Kind = (typeof KINDS)[number];

/** The netstate features a campaign may switch (names as `ethtool -k` prints them). */
export type FeatureName = Extract<
  (typeof FEATURES)[number],
  | "tx-checksumming" | "rx-checksumming" | "tcp-segmentation-offload" | "generic-segmentation-offload"
  | "generic-receive-offload" | "large-receive-offload" | "tx-nocache-copy" | "scatter-gather"
>;

/** `ethtool -k` name -> the name given to `ethtool -K` (also accepted as an alias in Setting.name). */
export const FEATURE_SHORT: Readonly<Record<FeatureName, string>> = {
  "tx-checksumming": "tx",
  "rx-checksumming": "rx",
  "tcp-segmentation-offload": "tso",
  "generic-segmentation-offload": "gso",
  "generic-receive-offload": "gro",
  "large-receive-offload": "lro",
  "tx-nocache-copy": "tx-nocache-copy",
  "scatter-gather": "sg",
};

/** A Setting.name (long name or short alias) -> the feature, or undefined when not allow-listed. */
export function featureNamed(name: string): FeatureName | undefined {
  for (const [long, short] of Object.entries(FEATURE_SHORT)) if (name === long || name === short) return long as FeatureName;
  return undefined;
}

export const QDISCS = ["pfifo_fast", "fq", "fq_codel", "noqueue", "pfifo", "sfq", "cake"] as const;
export type QdiscKind = (typeof QDISCS)[number];

export const MTU_MIN = 68;
export const MTU_MAX = 65535;

/** dev_valid_name's limit (IFNAMSIZ - 1) and a conservative character set; existence is checked separately. */
export const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;
/** ApplySettings.token, e.g. a campaign's "<campaign uuid>:<pair>.<cell id>". */
export const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;
/** A congestion-control name (TCP_CA_NAME_MAX is 16 bytes with the NUL). */
export const CONGESTION_NAME = /^[a-z0-9_]{1,15}$/;

const INT_MAX = 2_147_483_647;

export interface SysctlRule {
  /** Problem with `value`, or undefined when it is acceptable. */
  check(value: string): string | undefined;
  /** The form the kernel prints (compared on read-back). */
  normalize(value: string): string;
  /** A note for the operator when `value` is risky. */
  warn?(value: string): string | undefined;
}

function intRule(min: number, max: number): SysctlRule {
  return {
    check: (v) => (/^\d{1,10}$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`),
    normalize: (v) => String(Number(v)),
  };
}

const tripleRule: SysctlRule = {
  check(v) {
    const parts = v.trim().split(/\s+/);
    if (parts.length !== 3 || !parts.every((p) => /^\d{1,10}$/.test(p) && Number(p) >= 1 && Number(p) <= INT_MAX)) {
      return `expected three integers "min default max" in 1..${INT_MAX}, got ${JSON.stringify(v)}`;
    }
    const [a, b, c] = parts.map(Number) as [number, number, number];
    return a <= b && b <= c ? undefined : `expected min <= default <= max, got ${JSON.stringify(v)}`;
  },
  normalize: (v) => v.trim().split(/\s+/).map((p) => String(Number(p))).join(" "),
};

const busyRule: SysctlRule = {
  ...intRule(0, 1_000_000),
  warn: (v) => (Number(v) > 0
    ? "busy polling > 0: in the study eastwest is built from, rx busy poll hung the kernel under bulk traffic; keep such cells short"
    : undefined),
};

/** The allow-listed sysctl keys; the file is /proc/sys/<key with '.' -> '/'> in the agent's network namespace. */
export const SYSCTLS: Readonly<Record<string, SysctlRule>> = {
  "net.ipv4.tcp_congestion_control": {
    check: (v) => (CONGESTION_NAME.test(v) ? undefined : `expected a name matching ${CONGESTION_NAME.source}, got ${JSON.stringify(v)}`),
    normalize: (v) => v.trim(),
  },
  "net.core.busy_poll": busyRule,
  "net.core.busy_read": busyRule,
  "net.ipv4.tcp_rmem": tripleRule,
  "net.ipv4.tcp_wmem": tripleRule,
  // why: the kernel's floor is SOCK_MIN_RCVBUF/SOCK_MIN_SNDBUF (about 2.3 KiB / 4.6 KiB, depends on sizeof(sk_buff)).
  "net.core.rmem_max": intRule(4608, INT_MAX),
  "net.core.wmem_max": intRule(4608, INT_MAX),
};

/** /proc-relative path of an allow-listed sysctl key. */
export function sysctlPath(key: string): string {
  return `sys/${key.replace(/\./g, "/")}`;
}

/** An accepted, typed setting change. */
export type Change =
  | { kind: "ethtool_feature"; iface: string; feature: FeatureName; value: "on" | "off" }
  | { kind: "sysctl"; key: string; value: string }
  | { kind: "qdisc"; iface: string; value: QdiscKind }
  | { kind: "mtu"; iface: string; value: number };

/** A change as a Setting again, with canonical names (long feature name, normalized value). */
export function describe(c: Change): { kind: Kind; target: string; name: string; value: string } {
  switch (c.kind) {
    case "ethtool_feature":
      return { kind: c.kind, target: c.iface, name: c.feature, value: c.value };
    case "sysctl":
      return { kind: c.kind, target: c.key, name: "", value: c.value };
    case "qdisc":
      return { kind: c.kind, target: c.iface, name: "", value: c.value };
    case "mtu":
      return { kind: c.kind, target: c.iface, name: "", value: String(c.value) };
  }
}

/** Two changes with the same key in one ApplySettings are a conflict. */
export function changeKey(c: Change): string {
  const d = describe(c);
  return `${d.kind} ${d.target} ${d.name}`.trim();
}

/**
 * What a pending token holds against other tokens. ethtool features hold their whole interface: features
 * depend on each other (tx off drops tso), so two tokens restoring one interface could undo each other.
 */
export function holdKey(c: Change): string {
  return c.kind === "ethtool_feature" ? `ethtool_feature ${c.iface}` : changeKey(c);
}
