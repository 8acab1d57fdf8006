// softirqs: /proc/softirqs counts per cpu and softirq type, with NET_RX / NET_TX rates.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perOptions, unknownKeys } from "../shared/options.ts";
import { probeProc, readProc } from "../shared/sources.ts";
import { parseSoftirqs, type Softirqs } from "./softirqs.parse.ts";

/** Softirq types emitted as <name>_total (lower case). BLOCK_IOPOLL was renamed IRQ_POLL in 4.5. */
export const SOFTIRQ_NAMES = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "BLOCK_IOPOLL", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"] as const;

/** Softirq name -> field: names built once, not per cpu and tick. */
const TOTALS: ReadonlyMap<string, string> = new Map(SOFTIRQ_NAMES.map((n) => [n, `${n.toLowerCase()}_total`]));

const RATES: ReadonlyArray<readonly [string, string]> = [
  ["NET_RX", "net_rx_per_s"],
  ["NET_TX", "net_tx_per_s"],
];

/** Per cpu: softirq name -> count, only the known names. */
function byCpu(parsed: Softirqs): Map<string, Record<string, bigint>> {
  const out = new Map<string, Record<string, bigint>>(parsed.cpus.map((c) => [c, {}]));
  for (const row of parsed.rows) {
    if (!TOTALS.has(row.name)) continue;
    row.counts.forEach((count, i) => {
      const cpu = out.get(parsed.cpus[i] ?? "");
      if (cpu !== undefined) cpu[row.name] = count;
    });
  }
  return out;
}

function parseOptions(ctx: SampleContext): void {
  const problems = unknownKeys(ctx.options, []).map((p) => `softirqs: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

const options = perOptions(parseOptions);

export const softirqsSampler: SamplerFactory = (): Sampler => {
  // why: per-cpu softirq counts are `unsigned int` (kstat_softirqs_cpu) and wrap at 2^32.
  const memory = new RateMemory(32);
  return {
    name: "softirqs",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "softirqs");
    },
    async sample(ctx) {
      options(ctx);
      const parsed = parseSoftirqs(await readProc(ctx, "softirqs"));
      const points: Sample[] = [];
      for (const [cpu, counts] of byCpu(parsed)) {
        const interval = memory.step(cpu, ctx.nowNs, counts);
        const fields: Record<string, FieldValue> = {};
        for (const name in counts) fields[TOTALS.get(name) as string] = counts[name] as bigint;
        addRates(fields, interval, RATES);
        pushPoint(points, point(ctx, "softirqs", { cpu }, fields));
      }
      memory.sweep();
      return { points, errors: parsed.errors };
    },
  };
};
