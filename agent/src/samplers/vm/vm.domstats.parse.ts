// Pure parsing of `virsh domstats --raw` text (libvirt >= 8.x, QEMU >= 7.1 for the KVM stats) and its mapping to one
// domain's KVM stats and interface counters. Any text gives a result with problems listed; nothing here throws.
//
// The text: per domain a line "Domain: 'NAME'" and then "  key=value" lines, a blank line between domains. Keys:
//   vcpu.current, vcpu.N.time …            libvirt's own (not KVM stats; skipped)
//   vcpu.N.<kvm stat>.sum|.cur|.max        KVM binary stats of vCPU N (query-stats target vcpu): sum = cumulative,
//                                          cur = instant, max = peak; booleans are "yes"/"no", histograms are left out
//   vm.<kvm stat>.sum|.cur|.max            KVM binary stats of the VM (query-stats target vm)
//   net.count, net.N.name, net.N.{rx,tx}.{bytes,pkts,errs,drop}
// why: libvirt passes KVM's values through unscaled; KVM keeps its *_ns stats in ns (exponent -9), so no conversion.

/** One domain's raw key=value pairs, in order. */
export interface DomainText {
  name: string;
  values: Map<string, string>;
}

export interface DomstatsText {
  domains: DomainText[];
  /** Lines that were not understood (at most MAX_PROBLEMS, then a count). */
  problems: string[];
}

const MAX_PROBLEMS = 5;
const HEAD = /^Domain: '(.*)'$/;
const KEY = /^[A-Za-z0-9_.:-]+$/;

function clip(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/** `virsh domstats --raw` output by domain. A domain named twice keeps its last block. */
export function parseDomstats(text: string): DomstatsText {
  const byName = new Map<string, DomainText>();
  const problems: string[] = [];
  let bad = 0;
  const problem = (n: number, line: string, why: string): void => {
    if (++bad <= MAX_PROBLEMS) problems.push(`virsh domstats line ${n}: ${why}: ${clip(line)}`);
  };
  let cur: DomainText | undefined;
  const lines = String(text).split("\n");
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const head = HEAD.exec(line);
    if (head) {
      cur = { name: head[1] ?? "", values: new Map() };
      byName.set(cur.name, cur);
      return;
    }
    const eq = line.indexOf("=");
    if (!/^\s/.test(line) || eq < 0) return problem(i + 1, line, "neither a Domain: line nor an indented key=value");
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) return problem(i + 1, line, "not a stat key");
    if (cur === undefined) return problem(i + 1, line, "a stat before any Domain: line");
    cur.values.set(key, line.slice(eq + 1));
  });
  if (bad > MAX_PROBLEMS) problems.push(`virsh domstats: ${bad - MAX_PROBLEMS} more lines not understood`);
  return { domains: [...byName.values()], problems };
}

/** Counters of one interface as the guest sees them (libvirt swaps a tap's directions: rx = received by the guest). */
export interface NetCounters {
  rx_bytes: bigint;
  tx_bytes: bigint;
  rx_packets: bigint;
  tx_packets: bigint;
  rx_drops: bigint;
  tx_drops: bigint;
}

export interface DomainNet {
  /** libvirt's interface index (net.N). */
  index: number;
  /** The host device (tap, vnetN, macvtap); "" when libvirt did not say. */
  name: string;
  counters: Partial<NetCounters>;
}

export interface DomainStats {
  /** vcpu.current; undefined when absent. */
  vcpus: number | undefined;
  /** state.state (virDomainState: 1 running, 3 paused, …); undefined when absent. */
  state: number | undefined;
  /** Integer KVM stats per vCPU (by libvirt's vCPU id, = QEMU cpu-index), sorted by index. */
  vcpuStats: Array<{ index: number; stats: Record<string, bigint> }>;
  /** Integer VM-wide KVM stats. */
  vmStats: Record<string, bigint>;
  /** Sorted by index. */
  nets: DomainNet[];
  /** Values that are not what their key promises (e.g. a counter that is not an unsigned integer); the first few. */
  problems: string[];
}

const U64_MAX = (1n << 64n) - 1n;
const VCPU_STAT = /^vcpu\.(\d+)\.(.+)\.(sum|cur|max)$/;
const VM_STAT = /^vm\.(.+)\.(sum|cur|max)$/;
const NET = /^net\.(\d+)\.(name|rx\.bytes|rx\.pkts|rx\.drop|tx\.bytes|tx\.pkts|tx\.drop)$/;
const NET_FIELD: Record<string, keyof NetCounters> = {
  "rx.bytes": "rx_bytes", "rx.pkts": "rx_packets", "rx.drop": "rx_drops",
  "tx.bytes": "tx_bytes", "tx.pkts": "tx_packets", "tx.drop": "tx_drops",
};
// why: libvirt prints boolean stats (e.g. vcpu.0.blocking.cur) as yes/no; like QMP's booleans they are not counters.
const BOOLEAN = new Set(["yes", "no"]);

/** A u64 in decimal, or undefined. */
function u64(value: string): bigint | undefined {
  if (!/^\d{1,20}$/.test(value)) return undefined;
  const v = BigInt(value);
  return v <= U64_MAX ? v : undefined;
}

function smallInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}

/** One domain's KVM stats and interfaces from its raw pairs. */
export function domainStats(values: ReadonlyMap<string, string>): DomainStats {
  const vcpus = new Map<number, Record<string, bigint>>();
  const vmStats: Record<string, bigint> = {};
  const nets = new Map<number, DomainNet>();
  const problems: string[] = [];
  const number = (key: string, value: string): bigint | undefined => {
    const v = u64(value);
    if (v === undefined && !BOOLEAN.has(value) && problems.length < MAX_PROBLEMS) problems.push(`${key}: not an unsigned 64-bit integer: ${clip(value)}`);
    return v;
  };
  for (const [key, value] of values) {
    const vcpu = VCPU_STAT.exec(key);
    if (vcpu) {
      const v = number(key, value);
      const index = smallInt(vcpu[1]);
      if (v === undefined || index === undefined) continue;
      const stats = vcpus.get(index) ?? {};
      stats[vcpu[2] ?? ""] = v;
      vcpus.set(index, stats);
      continue;
    }
    const vm = VM_STAT.exec(key);
    if (vm) {
      const v = number(key, value);
      if (v !== undefined) vmStats[vm[1] ?? ""] = v;
      continue;
    }
    const net = NET.exec(key);
    const index = smallInt(net?.[1]);
    if (net === null || index === undefined) continue;
    const entry = nets.get(index) ?? { index, name: "", counters: {} };
    nets.set(index, entry);
    const what = net[2] ?? "";
    if (what === "name") entry.name = value;
    else {
      const v = number(key, value);
      const field = NET_FIELD[what];
      if (v !== undefined && field !== undefined) entry.counters[field] = v;
    }
  }
  return {
    vcpus: smallInt(values.get("vcpu.current")),
    state: smallInt(values.get("state.state")),
    vcpuStats: [...vcpus].sort((a, b) => a[0] - b[0]).map(([index, stats]) => ({ index, stats })),
    vmStats,
    nets: [...nets.values()].sort((a, b) => a.index - b.index),
    problems,
  };
}
