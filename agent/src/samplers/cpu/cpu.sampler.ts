// cpu: /proc/stat per-cpu time (ns totals and % of the interval) and kernel activity counters.
import type { FieldValue, Sample } from "@eastwest/common";
import { SeriesMemory, type CounterSeries } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import { intOption } from "../shared/options.ts";
import { capturedText, readTime } from "../shared/sources.ts";
import { LayoutCache, addSeriesRates, procTableSampler, type SeriesRates } from "../shared/proc-table.ts";
import { CPU_STATES, KERNEL_KEYS, parseProcStat, statShape, statValues } from "./cpu.parse.ts";

// why: guest and guest_nice are already included in user and nice (kernel account_guest_time),
// so the interval's total time is the sum of the other eight states.
const TOTAL_STATES = CPU_STATES.map((_, i) => i).filter((i) => CPU_STATES[i] !== "guest" && CPU_STATES[i] !== "guest_nice");
const IDLE = CPU_STATES.indexOf("idle");
const IOWAIT = CPU_STATES.indexOf("iowait");
/** Total and % field per state (CPU_STATES order): names built once, not per row and tick. */
const TOTAL_FIELDS = CPU_STATES.map((s) => `${s}_ns_total`);
const PCT_FIELDS = CPU_STATES.map((s) => `${s}_pct`);

const kernelIndex = (key: (typeof KERNEL_KEYS)[number]): number => KERNEL_KEYS.indexOf(key);
/** [KERNEL_KEYS position, field], in field order. */
const KERNEL_FIELDS: ReadonlyArray<readonly [number, string]> = [
  [kernelIndex("ctxt"), "context_switches_total"],
  [kernelIndex("intr"), "interrupts_total"],
  [kernelIndex("softirq"), "softirqs_total"],
  [kernelIndex("processes"), "forks_total"],
  [kernelIndex("procs_running"), "procs_running"],
  [kernelIndex("procs_blocked"), "procs_blocked"],
];
const KERNEL_RATES: SeriesRates = [
  [kernelIndex("ctxt"), "context_switches_per_s"],
  [kernelIndex("intr"), "interrupts_per_s"],
  [kernelIndex("softirq"), "softirqs_per_s"],
  [kernelIndex("processes"), "forks_per_s"],
];

/** A cpu line's fields; `s` has been stepped with this tick's ticks. */
function cpuFields(s: CounterSeries, ticks: ReadonlyArray<bigint | undefined>, nsPerTick: bigint): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i];
    if (t !== undefined) fields[TOTAL_FIELDS[i] as string] = t * nsPerTick;
  }
  if (!s.hasInterval) return fields;
  const d = s.deltas;
  let total = 0n;
  for (const i of TOTAL_STATES) total += d[i] ?? 0n;
  if (total === 0n) return fields;
  for (let i = 0; i < d.length; i++) {
    const delta = d[i];
    if (delta !== undefined) fields[PCT_FIELDS[i] as string] = (Number(delta) * 100) / Number(total);
  }
  const idle = (d[IDLE] ?? 0n) + (d[IOWAIT] ?? 0n);
  fields["busy_pct"] = (Number(total - idle) * 100) / Number(total);
  return fields;
}

function kernelFields(s: CounterSeries, kernel: ReadonlyArray<bigint | undefined>): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [i, field] of KERNEL_FIELDS) if (kernel[i] !== undefined) fields[field] = kernel[i];
  addSeriesRates(fields, s, KERNEL_RATES);
  return fields;
}

function parse(text: string) {
  const stat = parseProcStat(text);
  return { ...statValues(stat), errors: stat.errors };
}

/** Options: `userHz` (default 100): ticks per second of /proc/stat. */
export const cpuSampler = procTableSampler<{ nsPerTick: bigint }>({
  name: "cpu",
  files: ["stat"],
  options: {
    keys: ["userHz"],
    parse(options) {
      const hz = intOption(options, "userHz", 100, 1, 1_000_000);
      return { value: { nsPerTick: 1_000_000_000n / BigInt(hz.value) }, problems: hz.problems };
    },
  },
  decoder() {
    // why: /proc/stat times are u64 (kernel cputime in ns, printed as clock_t).
    const cpus = new SeriesMemory(64, CPU_STATES.length);
    const kernelMemory = new SeriesMemory(64, KERNEL_KEYS.length);
    const tags = new TagCache("cpu");
    const table = new LayoutCache(parse, statShape);
    const kernel: Array<bigint | undefined> = KERNEL_KEYS.map(() => undefined);
    return (c, ctx, { nsPerTick }) => {
      const readNs = readTime(c, ctx);
      const { layout, values: v, errors } = table.read(capturedText(c, 0));
      const points: Sample[] = [];
      for (let row = 0; row < layout.cpus.length; row++) {
        const cpu = layout.cpus[row] as string;
        const s = cpus.get(cpu);
        const first = layout.first[row] as number;
        const columns = layout.columns[row] as number;
        for (let i = 0; i < columns; i++) s.values[i] = v[first + i];
        const ticks = s.values;
        cpus.step(s, readNs);
        // why: step() hands the stepped values back as the previous read; the totals are this tick's.
        const fields = cpuFields(s, ticks, nsPerTick);
        points.push({ measurement: "cpu", tags: tags.get(ctx, cpu), fields, timeNs: ctx.nowNs });
      }
      const k = kernelMemory.get("kernel");
      for (let i = 0; i < KERNEL_KEYS.length; i++) {
        const at = layout.kernel[i] as number;
        kernel[i] = k.values[i] = at < 0 ? undefined : v[at];
      }
      kernelMemory.step(k, readNs);
      const fields = kernelFields(k, kernel);
      if (Object.keys(fields).length > 0) points.push({ measurement: "kernel", tags: tags.bare(ctx), fields, timeNs: ctx.nowNs });
      cpus.sweep();
      kernelMemory.sweep();
      return { points, errors };
    };
  },
});
