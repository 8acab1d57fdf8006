// softnet: per-cpu packet processing, backlog drops and NAPI budget squeezes from /proc/net/softnet_stat.
import type { FieldValue, Sample } from "@eastwest/common";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import { capturedText, readTime } from "../shared/sources.ts";
import { LayoutCache, addSeriesRates, addTotals, procTableSampler, type SeriesRates } from "../shared/proc-table.ts";
import { SOFTNET_ITEMS, parseSoftnet, softnetShape, softnetShapeValues, softnetValues, type SoftnetValues } from "./softnet.parse.ts";

const WIDTH = SOFTNET_ITEMS.length;
/** Counters: every item but the last, backlog_len (a gauge). */
const COUNTERS = WIDTH - 1;
/** Field per counter: names built once, not per cpu and tick. */
const TOTALS = SOFTNET_ITEMS.slice(0, COUNTERS).map((c) => `${c}_total`);
const RATES: SeriesRates = [
  [SOFTNET_ITEMS.indexOf("processed"), "processed_per_s"],
  [SOFTNET_ITEMS.indexOf("dropped"), "dropped_per_s"],
  [SOFTNET_ITEMS.indexOf("time_squeeze"), "time_squeeze_per_s"],
];

/**
 * The layout of a full parse: the rows themselves (values empty). A fast-path layout is softnetShape's columns read
 * per row (the cpu id is among the values: it changes when cpus go offline).
 */
type Layout = { rows: SoftnetValues } | { read: number[] };

function parse(text: string) {
  const parsed = parseSoftnet(text);
  return { layout: { rows: softnetValues(parsed) } as Layout, values: [], errors: parsed.errors };
}

function shape(text: string) {
  const known = softnetShape(text);
  return known && { shape: known.shape, layout: { read: known.read } as Layout };
}

export const softnetSampler = procTableSampler({
  name: "softnet",
  files: ["net/softnet_stat"],
  decoder() {
    // why: softnet_data counters are `unsigned int`, printed as %08x, and wrap at 2^32.
    const memory = new SeriesMemory(32, COUNTERS);
    const tags = new TagCache("cpu");
    /** "cpu<id>" by id: made once. */
    const cpuNames: string[] = [];
    const table = new LayoutCache(parse, shape);
    const shaped: SoftnetValues = { cpus: [], values: [] };

    /** This read's rows: a fast-path read into `shaped`, else the full parse's. */
    function rowsOf(layout: Layout, values: ReadonlyArray<bigint | undefined>): SoftnetValues {
      if ("rows" in layout) return layout.rows;
      softnetShapeValues(layout.read, values, shaped);
      return shaped;
    }

    return (c, ctx) => {
      const readNs = readTime(c, ctx);
      const { layout, values, errors } = table.read(capturedText(c, 0));
      const { cpus, values: v } = rowsOf(layout, values);
      const points: Sample[] = [];
      for (let r = 0; r < cpus.length; r++) {
        const id = cpus[r] as number;
        const cpu = (cpuNames[id] ??= `cpu${id}`);
        const s = memory.get(cpu);
        const now = s.values;
        for (let i = 0; i < COUNTERS; i++) now[i] = v[r * WIDTH + i];
        memory.step(s, readNs);
        const fields: Record<string, FieldValue> = {};
        addTotals(fields, now, TOTALS);
        const backlog = v[r * WIDTH + COUNTERS];
        if (backlog !== undefined) fields["backlog_len"] = backlog;
        addSeriesRates(fields, s, RATES);
        points.push({ measurement: "softnet", tags: tags.get(ctx, cpu), fields, timeNs: ctx.nowNs });
      }
      memory.sweep();
      return { points, errors };
    };
  },
});
