// softnet: per-cpu packet processing, backlog drops and NAPI budget squeezes from /proc/net/softnet_stat.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { Captured, SampleContext, SampleResult, Sampler, SamplerFactory } from "../types.ts";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import type { Shape } from "../shared/shape.ts";
import { perOptions, unknownKeys } from "../shared/options.ts";
import { captureProc, capturedText, probeProc, type CapturedProc } from "../shared/sources.ts";
import { SOFTNET_ITEMS, parseSoftnet, softnetShape, softnetShapeValues, softnetValues, type SoftnetValues } from "./softnet.parse.ts";

const WIDTH = SOFTNET_ITEMS.length;
/** Counters: every item but the last, backlog_len (a gauge). */
const COUNTERS = WIDTH - 1;
/** Field per counter: names built once, not per cpu and tick. */
const TOTALS = SOFTNET_ITEMS.slice(0, COUNTERS).map((c) => `${c}_total`);
const RATES: ReadonlyArray<readonly [number, string]> = [
  [SOFTNET_ITEMS.indexOf("processed"), "processed_per_s"],
  [SOFTNET_ITEMS.indexOf("dropped"), "dropped_per_s"],
  [SOFTNET_ITEMS.indexOf("time_squeeze"), "time_squeeze_per_s"],
];

function parseOptions(ctx: SampleContext): void {
  const problems = unknownKeys(ctx.options, []).map((p) => `softnet: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

const options = perOptions(parseOptions);

export const softnetSampler: SamplerFactory = (): Sampler => {
  // why: softnet_data counters are `unsigned int`, printed as %08x, and wrap at 2^32.
  const memory = new SeriesMemory(32, COUNTERS);
  const tags = new TagCache("cpu");
  /** "cpu<id>" by id: made once. */
  const cpuNames: string[] = [];
  let known: { shape: Shape; read: number[] } | undefined;
  const read: Array<bigint | undefined> = [];
  const rows: SoftnetValues = { cpus: [], values: [] };

  /** This read by position: through the shape of the last clean parse while the text keeps it, else parsed. */
  function values(text: string): SoftnetValues & { errors: string[] } {
    if (known !== undefined && known.shape.read(text, read)) {
      softnetShapeValues(known.read, read, rows);
      return { ...rows, errors: [] };
    }
    const parsed = parseSoftnet(text);
    known = parsed.errors.length === 0 ? softnetShape(text) : undefined;
    return { ...softnetValues(parsed), errors: parsed.errors };
  }

  const capture = (ctx: SampleContext): Promise<CapturedProc> => captureProc(ctx, "net/softnet_stat");

  return {
    name: "softnet",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "net/softnet_stat");
    },
    async sample(ctx) {
      return decode(await capture(ctx), ctx);
    },
    capture,
    decode,
  };

  async function decode(c: Captured, ctx: SampleContext): Promise<SampleResult> {
    options(ctx);
    const { cpus, values: v, errors } = values(capturedText(c, 0));
    const points: Sample[] = [];
    for (let r = 0; r < cpus.length; r++) {
      const id = cpus[r] as number;
      const cpu = (cpuNames[id] ??= `cpu${id}`);
      const s = memory.get(cpu);
      const now = s.values;
      for (let i = 0; i < COUNTERS; i++) now[i] = v[r * WIDTH + i];
      memory.step(s, ctx.nowNs);
      const fields: Record<string, FieldValue> = {};
      for (let i = 0; i < COUNTERS; i++) if (now[i] !== undefined) fields[TOTALS[i] as string] = now[i] as bigint;
      const backlog = v[r * WIDTH + COUNTERS];
      if (backlog !== undefined) fields["backlog_len"] = backlog;
      for (const [i, field] of RATES) {
        const perS = s.perSecond(i);
        if (perS !== undefined) fields[field] = perS;
      }
      points.push({ measurement: "softnet", tags: tags.get(ctx, cpu), fields, timeNs: ctx.nowNs });
    }
    memory.sweep();
    return { points, errors };
  }
};
