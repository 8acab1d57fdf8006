// softirqs: /proc/softirqs counts per cpu and softirq type, with NET_RX / NET_TX rates.
import type { FieldValue, Sample } from "@eastwest/common";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import { capturedText, readTime } from "../shared/sources.ts";
import { LayoutCache, addSeriesRates, procTableSampler, type SeriesRates } from "../shared/proc-table.ts";
import { parseSoftirqs, softirqShape, softirqValues, type SoftirqValues } from "./softirqs.parse.ts";

/** Softirq types emitted as <name>_total (lower case). BLOCK_IOPOLL was renamed IRQ_POLL in 4.5. */
export const SOFTIRQ_NAMES = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "BLOCK_IOPOLL", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"] as const;

/** Field per SOFTIRQ_NAMES position: names built once, not per cpu and tick. */
const TOTALS = SOFTIRQ_NAMES.map((n) => `${n.toLowerCase()}_total`);

const RATES: SeriesRates = [
  [SOFTIRQ_NAMES.indexOf("NET_RX"), "net_rx_per_s"],
  [SOFTIRQ_NAMES.indexOf("NET_TX"), "net_tx_per_s"],
];

/** Per cpu (header order, once each): [SOFTIRQ_NAMES position, position of its count], known names in row order. */
type Plan = Array<{ cpu: string; counts: Array<readonly [number, number]> }>;

/** Where each cpu's counts are. A name or cpu printed twice counts as its last print. */
function plan(layout: Omit<SoftirqValues, "values">): Plan {
  const byCpu = new Map<string, Map<number, number>>(layout.cpus.map((c) => [c, new Map()]));
  layout.names.forEach((name, row) => {
    const k = (SOFTIRQ_NAMES as readonly string[]).indexOf(name);
    if (k < 0) return;
    layout.cpus.forEach((cpu, i) => byCpu.get(cpu)?.set(k, row * layout.cpus.length + i));
  });
  return [...byCpu].map(([cpu, counts]) => ({ cpu, counts: [...counts] }));
}

function parse(text: string) {
  const parsed = parseSoftirqs(text);
  const v = softirqValues(parsed);
  return { layout: plan(v), values: v.values, errors: parsed.errors };
}

function shape(text: string) {
  const known = softirqShape(text);
  return known && { shape: known.shape, layout: plan(known) };
}

export const softirqsSampler = procTableSampler({
  name: "softirqs",
  files: ["softirqs"],
  decoder() {
    // why: per-cpu softirq counts are `unsigned int` (kstat_softirqs_cpu) and wrap at 2^32.
    const memory = new SeriesMemory(32, SOFTIRQ_NAMES.length);
    const tags = new TagCache("cpu");
    const table = new LayoutCache(parse, shape);
    return (c, ctx) => {
      const readNs = readTime(c, ctx);
      const { layout: cpus, values: v, errors } = table.read(capturedText(c, 0));
      const points: Sample[] = [];
      for (const { cpu, counts } of cpus) {
        const s = memory.get(cpu);
        const now = s.values;
        for (const [k, at] of counts) now[k] = v[at];
        memory.step(s, readNs);
        const fields: Record<string, FieldValue> = {};
        for (const [k] of counts) fields[TOTALS[k] as string] = now[k] as bigint;
        addSeriesRates(fields, s, RATES);
        if (counts.length > 0) points.push({ measurement: "softirqs", tags: tags.get(ctx, cpu), fields, timeNs: ctx.nowNs });
      }
      memory.sweep();
      return { points, errors };
    };
  },
});
