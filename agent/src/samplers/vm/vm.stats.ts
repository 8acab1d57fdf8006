// Pure decoding of QMP query-stats, query-stats-schemas and query-cpus-fast replies (QEMU >= 7.1, provider "kvm"),
// and the mapping of KVM stat names to the schema's known counters and gauges.
import { KVM_VCPU_COUNTERS, KVM_VM_COUNTERS, KVM_VM_GAUGES, ParseError } from "@eastwest/common";

/** One stat's description from query-stats-schemas. */
export interface StatDesc {
  /** "cumulative" | "instant" | "peak" | "linear-histogram" | "log2-histogram". */
  type: string;
  /** "bytes" | "seconds" | "cycles" | "boolean" | "" (a count). */
  unit: string;
  base: number;
  exponent: number;
}

export interface StatsSchema {
  vm: ReadonlyMap<string, StatDesc>;
  vcpu: ReadonlyMap<string, StatDesc>;
}

export interface VcpuStats {
  qomPath: string;
  /** QEMU cpu-index. */
  index: number;
  stats: Record<string, bigint>;
}

/** Scalar integer stats; histograms and booleans are left out (their scalar siblings, e.g. halt_wait_ns, carry the sums). */
export interface KvmStats {
  vm: Record<string, bigint>;
  /** Sorted by index. */
  vcpus: VcpuStats[];
}

export interface CpuInfo {
  qomPath: string;
  index: number;
  /** Host thread id of the vCPU (a task of the QEMU process). */
  threadId: number;
}

const SOURCE = "QMP query-stats";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ParseError(SOURCE, `${what}: expected a list, got ${typeof value}`);
  return value;
}

function num(v: unknown, fallback: number): number {
  return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : fallback;
}

/** query-stats-schemas' return: [{provider, target, stats: [{name, type, unit?, base?, exponent}]}]. */
export function parseStatsSchemas(ret: unknown): StatsSchema {
  const vm = new Map<string, StatDesc>();
  const vcpu = new Map<string, StatDesc>();
  for (const entry of list(ret, "query-stats-schemas")) {
    if (!isObject(entry) || entry["provider"] !== "kvm") continue;
    const into = entry["target"] === "vm" ? vm : entry["target"] === "vcpu" ? vcpu : undefined;
    for (const s of list(entry["stats"], "query-stats-schemas stats")) {
      if (!isObject(s) || typeof s["name"] !== "string") continue;
      into?.set(s["name"], { type: String(s["type"] ?? ""), unit: String(s["unit"] ?? ""), base: num(s["base"], 10), exponent: num(s["exponent"], 0) });
    }
  }
  return { vm, vcpu };
}

/** The integer stats of one provider entry (numbers or bigints); a negative, fractional or inexact value is a ParseError. */
function scalars(stats: unknown, where: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const s of list(stats, `${where} stats`)) {
    if (!isObject(s) || typeof s["name"] !== "string") throw new ParseError(SOURCE, `${where}: a stat without a name`);
    const raw = s["value"];
    if (typeof raw === "number" && !Number.isSafeInteger(raw)) throw new ParseError(SOURCE, `${where}: ${s["name"]} is not an exact integer (${raw})`);
    const v = typeof raw === "number" ? BigInt(raw) : raw;
    if (typeof v !== "bigint") continue;
    if (v < 0n) throw new ParseError(SOURCE, `${where}: ${s["name"]} is negative (${v})`);
    out[s["name"]] = v;
  }
  return out;
}

/** Trailing number of a QOM path ("/machine/unattached/device[2]" -> 2), for ordering when cpu-index is unknown. */
function qomOrder(path: string): number {
  const m = /(\d+)\]?$/.exec(path);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/**
 * query-stats target "vm" and target "vcpu" returns (provider "kvm" entries only). A vCPU's index is its cpu-index
 * from `cpus` (query-cpus-fast); without it, vCPUs are numbered in QOM-path order.
 */
export function parseQueryStats(vmRet: unknown, vcpuRet: unknown, cpus: readonly CpuInfo[] = []): KvmStats {
  const vm: Record<string, bigint> = {};
  for (const e of list(vmRet, "target vm")) {
    if (isObject(e) && e["provider"] === "kvm") Object.assign(vm, scalars(e["stats"], "target vm"));
  }
  const byPath = new Map(cpus.map((c) => [c.qomPath, c.index]));
  const raw: Array<{ qomPath: string; stats: Record<string, bigint> }> = [];
  for (const e of list(vcpuRet, "target vcpu")) {
    if (!isObject(e) || e["provider"] !== "kvm") continue;
    const qomPath = typeof e["qom-path"] === "string" ? e["qom-path"] : "";
    raw.push({ qomPath, stats: scalars(e["stats"], `vcpu ${qomPath}`) });
  }
  const ordered = [...raw].sort((a, b) => qomOrder(a.qomPath) - qomOrder(b.qomPath));
  const vcpus = raw.map((r) => ({ ...r, index: byPath.get(r.qomPath) ?? ordered.indexOf(r) }));
  return { vm, vcpus: vcpus.sort((a, b) => a.index - b.index) };
}

/** query-cpus-fast's return: [{"cpu-index", "qom-path", "thread-id"}]. */
export function parseCpusFast(ret: unknown): CpuInfo[] {
  return list(ret, "query-cpus-fast").flatMap((c): CpuInfo[] => {
    if (!isObject(c) || typeof c["qom-path"] !== "string") return [];
    const index = num(c["cpu-index"], -1);
    const threadId = num(c["thread-id"], -1);
    return index >= 0 ? [{ qomPath: c["qom-path"], index, threadId }] : [];
  });
}

/** Stats split into the schema's known counters and gauges (keyed by stat name); `unknown` lists the rest. */
export interface KvmValues {
  counters: Record<string, bigint>;
  gauges: Record<string, bigint>;
  unknown: string[];
}

const VCPU_COUNTERS: ReadonlySet<string> = new Set(KVM_VCPU_COUNTERS);
const VM_COUNTERS: ReadonlySet<string> = new Set(KVM_VM_COUNTERS);
const VM_GAUGES: ReadonlySet<string> = new Set(KVM_VM_GAUGES);

/** A *_ns stat in QEMU's unit (seconds x base^exponent) converted to ns; other stats unchanged. */
function toFieldUnit(stat: string, value: bigint, desc: StatDesc | undefined): bigint {
  if (desc?.unit !== "seconds" || !stat.endsWith("_ns") || desc.base !== 10) return value;
  const k = desc.exponent + 9;
  return k >= 0 ? value * 10n ** BigInt(k) : value / 10n ** BigInt(-k);
}

/** Per-vCPU values: known cumulative stats; unknown integer stats are named in `unknown`. */
export function vcpuValues(stats: Readonly<Record<string, bigint>>, schema?: ReadonlyMap<string, StatDesc>): KvmValues {
  const out: KvmValues = { counters: {}, gauges: {}, unknown: [] };
  for (const [stat, value] of Object.entries(stats)) {
    if (VCPU_COUNTERS.has(stat)) out.counters[stat] = toFieldUnit(stat, value, schema?.get(stat));
    else out.unknown.push(stat);
  }
  return out;
}

/**
 * Per-VM values: every vCPU counter summed over `vcpus`, plus the VM-wide stats in `vm`. A vCPU stat name in `vm`
 * (debugfs sums the vCPUs itself) is taken as that sum.
 */
export function vmValues(vm: Readonly<Record<string, bigint>>, vcpus: readonly KvmValues[], schema?: StatsSchema): KvmValues {
  const out: KvmValues = { counters: {}, gauges: {}, unknown: [] };
  for (const v of vcpus) {
    for (const [stat, value] of Object.entries(v.counters)) out.counters[stat] = (out.counters[stat] ?? 0n) + value;
  }
  for (const [stat, value] of Object.entries(vm)) {
    const scaled = toFieldUnit(stat, value, schema?.vm.get(stat));
    if (VM_COUNTERS.has(stat) || VCPU_COUNTERS.has(stat)) out.counters[stat] = scaled;
    else if (VM_GAUGES.has(stat)) out.gauges[stat] = scaled;
    else out.unknown.push(stat);
  }
  return out;
}
