// cpu: /proc/stat per-cpu time (ns totals and % of the interval) and kernel activity counters.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates, type Interval } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { intOption, perOptions, unknownKeys } from "../shared/options.ts";
import { probeProc, readProc } from "../shared/sources.ts";
import { CPU_STATES, parseProcStat, type CpuTicks, type KernelStat } from "./cpu.parse.ts";

// why: guest and guest_nice are already included in user and nice (kernel account_guest_time),
// so the interval's total time is the sum of the other eight states.
const TOTAL_STATES = CPU_STATES.filter((s) => s !== "guest" && s !== "guest_nice");
/** [state, total field, % field]: names built once, not per row and tick. */
const STATE_FIELDS = CPU_STATES.map((s) => [s, `${s}_ns_total`, `${s}_pct`] as const);

const KERNEL_FIELDS: ReadonlyArray<readonly [keyof KernelStat, string]> = [
  ["ctxt", "context_switches_total"],
  ["intr", "interrupts_total"],
  ["softirq", "softirqs_total"],
  ["processes", "forks_total"],
];
const KERNEL_RATES: ReadonlyArray<readonly [string, string]> = [
  ["ctxt", "context_switches_per_s"],
  ["intr", "interrupts_per_s"],
  ["softirq", "softirqs_per_s"],
  ["processes", "forks_per_s"],
];

/** Options: `userHz` (default 100): ticks per second of /proc/stat. */
function parseOptions(ctx: SampleContext): { nsPerTick: bigint } {
  const hz = intOption(ctx.options, "userHz", 100, 1, 1_000_000);
  const problems = [...unknownKeys(ctx.options, ["userHz"]), ...hz.problems].map((p) => `cpu: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { nsPerTick: 1_000_000_000n / BigInt(hz.value) };
}

const options = perOptions(parseOptions);

function cpuFields(row: CpuTicks, nsPerTick: bigint, interval: Interval | undefined): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [state, totalField] of STATE_FIELDS) {
    const ticks = row.ticks[state];
    if (ticks !== undefined) fields[totalField] = ticks * nsPerTick;
  }
  if (interval === undefined) return fields;
  let total = 0n;
  for (const s of TOTAL_STATES) total += interval.deltas[s] ?? 0n;
  if (total === 0n) return fields;
  for (const [state, , pctField] of STATE_FIELDS) {
    const d = interval.deltas[state];
    if (d !== undefined) fields[pctField] = (Number(d) * 100) / Number(total);
  }
  const idle = (interval.deltas["idle"] ?? 0n) + (interval.deltas["iowait"] ?? 0n);
  fields["busy_pct"] = (Number(total - idle) * 100) / Number(total);
  return fields;
}

function kernelFields(k: KernelStat, interval: Interval | undefined): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [key, field] of KERNEL_FIELDS) if (k[key] !== undefined) fields[field] = k[key];
  if (k.procs_running !== undefined) fields["procs_running"] = k.procs_running;
  if (k.procs_blocked !== undefined) fields["procs_blocked"] = k.procs_blocked;
  addRates(fields, interval, KERNEL_RATES);
  return fields;
}

function counters(record: object): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const k in record) {
    const v = (record as Record<string, unknown>)[k];
    if (typeof v === "bigint") out[k] = v;
  }
  return out;
}

export const cpuSampler: SamplerFactory = (): Sampler => {
  // why: /proc/stat times are u64 (kernel cputime in ns, printed as clock_t).
  const memory = new RateMemory(64);
  return {
    name: "cpu",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "stat");
    },
    async sample(ctx) {
      const { nsPerTick } = options(ctx);
      const stat = parseProcStat(await readProc(ctx, "stat"));
      const points: Sample[] = [];
      for (const row of stat.cpus) {
        const interval = memory.step(`cpu:${row.cpu}`, ctx.nowNs, counters(row.ticks));
        pushPoint(points, point(ctx, "cpu", { cpu: row.cpu }, cpuFields(row, nsPerTick, interval)));
      }
      const interval = memory.step("kernel", ctx.nowNs, counters(stat.kernel));
      pushPoint(points, point(ctx, "kernel", {}, kernelFields(stat.kernel, interval)));
      memory.sweep();
      return { points, errors: stat.errors };
    },
  };
};
