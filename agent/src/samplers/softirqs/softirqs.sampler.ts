// softirqs: /proc/softirqs counts per cpu and softirq type, with NET_RX / NET_TX rates.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { Captured, SampleContext, SampleResult, Sampler, SamplerFactory } from "../types.ts";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import type { Shape } from "../shared/shape.ts";
import { perOptions, unknownKeys } from "../shared/options.ts";
import { captureProc, capturedText, probeProc, type CapturedProc } from "../shared/sources.ts";
import { parseSoftirqs, softirqShape, softirqValues, type SoftirqValues } from "./softirqs.parse.ts";

/** Softirq types emitted as <name>_total (lower case). BLOCK_IOPOLL was renamed IRQ_POLL in 4.5. */
export const SOFTIRQ_NAMES = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "BLOCK_IOPOLL", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"] as const;

/** Field per SOFTIRQ_NAMES position: names built once, not per cpu and tick. */
const TOTALS = SOFTIRQ_NAMES.map((n) => `${n.toLowerCase()}_total`);

const RATES: ReadonlyArray<readonly [number, string]> = [
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

function parseOptions(ctx: SampleContext): void {
  const problems = unknownKeys(ctx.options, []).map((p) => `softirqs: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

const options = perOptions(parseOptions);

export const softirqsSampler: SamplerFactory = (): Sampler => {
  // why: per-cpu softirq counts are `unsigned int` (kstat_softirqs_cpu) and wrap at 2^32.
  const memory = new SeriesMemory(32, SOFTIRQ_NAMES.length);
  const tags = new TagCache("cpu");
  let known: { shape: Shape; plan: Plan } | undefined;
  const read: Array<bigint | undefined> = [];

  /** This read's plan and values: through the shape of the last clean parse while the text keeps it, else parsed. */
  function values(text: string): { plan: Plan; values: ReadonlyArray<bigint | undefined>; errors: string[] } {
    if (known !== undefined && known.shape.read(text, read)) return { plan: known.plan, values: read, errors: [] };
    const parsed = parseSoftirqs(text);
    const shape = parsed.errors.length === 0 ? softirqShape(text) : undefined;
    known = shape === undefined ? undefined : { shape: shape.shape, plan: plan(shape) };
    const v = softirqValues(parsed);
    return { plan: plan(v), values: v.values, errors: parsed.errors };
  }

  const capture = (ctx: SampleContext): Promise<CapturedProc> => captureProc(ctx, "softirqs");

  return {
    name: "softirqs",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "softirqs");
    },
    async sample(ctx) {
      return decode(await capture(ctx), ctx);
    },
    capture,
    decode,
  };

  async function decode(c: Captured, ctx: SampleContext): Promise<SampleResult> {
    options(ctx);
    const { plan: cpus, values: v, errors } = values(capturedText(c, 0));
    const points: Sample[] = [];
    for (const { cpu, counts } of cpus) {
      const s = memory.get(cpu);
      const now = s.values;
      for (const [k, at] of counts) now[k] = v[at];
      memory.step(s, ctx.nowNs);
      const fields: Record<string, FieldValue> = {};
      for (const [k] of counts) fields[TOTALS[k] as string] = now[k] as bigint;
      for (const [k, field] of RATES) {
        const perS = s.perSecond(k);
        if (perS !== undefined) fields[field] = perS;
      }
      if (counts.length > 0) points.push({ measurement: "softirqs", tags: tags.get(ctx, cpu), fields, timeNs: ctx.nowNs });
    }
    memory.sweep();
    return { points, errors };
  }
};
