// Pure parser of /proc/stat: per-cpu tick counters and the kernel activity lines.
import { ParseError } from "@eastwest/common";
import { excerpt, lines, uint, words } from "../../host/text.ts";
import { SKIP, Shape, UINT, WORD } from "../shared/shape.ts";

/** Column order of a "cpu" line (Documentation/filesystems/proc.rst). Older kernels print fewer columns. */
export const CPU_STATES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"] as const;
export type CpuState = (typeof CPU_STATES)[number];

export interface CpuTicks {
  /** "all" for the aggregate line, else "cpu0", "cpu1", ... */
  cpu: string;
  /** USER_HZ ticks since boot per state; states the kernel does not print are absent. */
  ticks: Partial<Record<CpuState, bigint>>;
}

export interface KernelStat {
  ctxt?: bigint;
  /** First number of the "intr" line: all interrupts serviced. */
  intr?: bigint;
  /** First number of the "softirq" line: all softirqs serviced. */
  softirq?: bigint;
  /** Forks since boot. */
  processes?: bigint;
  procs_running?: bigint;
  procs_blocked?: bigint;
}

export interface ProcStat {
  cpus: CpuTicks[];
  kernel: KernelStat;
  /** Lines that did not parse (e.g. a truncated last line). */
  errors: string[];
}

export const KERNEL_KEYS = ["ctxt", "intr", "softirq", "processes", "procs_running", "procs_blocked"] as const;
/** A line's key and first value. why: not words(line): the "intr" line holds a count per interrupt (thousands). */
const HEAD = /^\s*(\S+)(?:\s+(\S+))?/;
const SOURCE = "/proc/stat";

export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: [], kernel: {}, errors: [] };
  let columns = 0;
  for (const line of lines(text)) {
    const [, key = "", first] = HEAD.exec(line) ?? [];
    if (key.startsWith("cpu")) {
      const rest = words(line).slice(1);
      const parsed = parseCpuLine(key, rest, columns);
      if (typeof parsed === "string") out.errors.push(parsed);
      else {
        if (out.cpus.length === 0) columns = rest.length;
        out.cpus.push(parsed);
      }
    } else if ((KERNEL_KEYS as readonly string[]).includes(key)) {
      const value = uint(first);
      if (value === undefined) out.errors.push(`${SOURCE}: bad ${key} line ${excerpt(line)}`);
      else out.kernel[key as (typeof KERNEL_KEYS)[number]] = value;
    }
  }
  if (out.cpus.length === 0) {
    throw new ParseError(SOURCE, `no cpu lines found${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  }
  return out;
}

/** One "cpuN v v v ..." line; `columns` is the aggregate line's count (0 while parsing it). */
function parseCpuLine(key: string, values: string[], columns: number): CpuTicks | string {
  const cpu = key === "cpu" ? "all" : key;
  if (!/^cpu(\d+)?$/.test(key)) return `${SOURCE}: unknown cpu key ${excerpt(key)}`;
  // why: a per-cpu line shorter than the aggregate line is a truncated read, not an older kernel.
  if (values.length < 4 || values.length < columns) return `${SOURCE}: truncated ${cpu} line (${values.length} columns)`;
  const ticks: Partial<Record<CpuState, bigint>> = {};
  for (let i = 0; i < Math.min(values.length, CPU_STATES.length); i++) {
    const v = uint(values[i]);
    if (v === undefined) return `${SOURCE}: bad ${cpu} value ${excerpt(values[i] ?? "")}`;
    ticks[CPU_STATES[i] as CpuState] = v;
  }
  return { cpu, ticks };
}

/**
 * /proc/stat as the cpu sampler reads it: values by position, and where each line's values are. A full parse and
 * a read through the shape of an earlier text give the same.
 */
export interface StatLayout {
  /** "all", "cpu0", ... per cpu line, in file order. */
  cpus: string[];
  /** Per cpu line: position of its first state (CPU_STATES order) in the values. */
  first: number[];
  /** Per cpu line: states printed (at most CPU_STATES.length). */
  columns: number[];
  /** Per KERNEL_KEYS key: position of its value, or -1 when absent. */
  kernel: number[];
}

export interface StatValues {
  layout: StatLayout;
  values: ReadonlyArray<bigint | undefined>;
}

/** A full parse in the positional form. */
export function statValues(stat: ProcStat): StatValues {
  const layout: StatLayout = { cpus: [], first: [], columns: [], kernel: [] };
  const values: Array<bigint | undefined> = [];
  for (const row of stat.cpus) {
    layout.cpus.push(row.cpu);
    layout.first.push(values.length);
    let columns = 0;
    for (const state of CPU_STATES) {
      if (row.ticks[state] !== undefined) columns++;
      values.push(row.ticks[state]);
    }
    layout.columns.push(columns);
  }
  for (const key of KERNEL_KEYS) {
    const v = stat.kernel[key];
    layout.kernel.push(v === undefined ? -1 : values.length);
    if (v !== undefined) values.push(v);
  }
  return { layout, values };
}

/** The shape of a /proc/stat text that parsed without errors, and its layout; undefined when it has none. */
export function statShape(text: string): { shape: Shape; layout: StatLayout } | undefined {
  const layout: StatLayout = { cpus: [], first: [], columns: [], kernel: KERNEL_KEYS.map(() => -1) };
  let slot = 0;
  const shape = Shape.of(text, (words) => {
    const [key = "", ...rest] = words;
    if (key.startsWith("cpu")) {
      const columns = Math.min(rest.length, CPU_STATES.length);
      layout.cpus.push(key === "cpu" ? "all" : key);
      layout.first.push(slot);
      layout.columns.push(columns);
      slot += columns;
      return [key, ...rest.map((_, i) => (i < columns ? UINT : WORD))];
    }
    const k = (KERNEL_KEYS as readonly string[]).indexOf(key);
    if (k < 0) return [key, SKIP];
    if (rest.length === 0) return undefined;
    layout.kernel[k] = slot++;
    return [key, UINT, SKIP];
  });
  return shape === undefined ? undefined : { shape, layout };
}
