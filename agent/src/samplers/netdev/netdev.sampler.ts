// netdev: /proc/net/dev counters per interface (the agent's network namespace) plus byte and packet rates.
import type { FieldValue, Sample } from "@eastwest/common";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import { interfaceFilter, type NameFilter } from "../shared/options.ts";
import { capturedText, readTime } from "../shared/sources.ts";
import { LayoutCache, addSeriesRates, addTotals, procTableSampler, type SeriesRates } from "../shared/proc-table.ts";
import { NETDEV_COLUMNS, netDevShape, netDevValues, parseNetDev, type NetDevColumn } from "./netdev.parse.ts";

const WIDTH = NETDEV_COLUMNS.length;
/** Field per column: names built once, not per interface and tick. */
const TOTALS = NETDEV_COLUMNS.map((c) => `${c}_total`);

const column = (c: NetDevColumn): number => NETDEV_COLUMNS.indexOf(c);
const RATES: SeriesRates = [
  [column("rx_bytes"), "rx_bytes_per_s"],
  [column("tx_bytes"), "tx_bytes_per_s"],
  [column("rx_packets"), "rx_packets_per_s"],
  [column("tx_packets"), "tx_packets_per_s"],
];

/** The interfaces (file order) as the layout; values: per interface its WIDTH counters. */
function parse(text: string) {
  const dev = parseNetDev(text);
  const { interfaces, values } = netDevValues(dev);
  return { layout: interfaces, values, errors: dev.errors };
}

function shape(text: string) {
  const known = netDevShape(text);
  return known && { shape: known.shape, layout: known.interfaces };
}

/** Options: `interfaces` (names or "/regex/"), default all. */
export const netdevSampler = procTableSampler<NameFilter>({
  name: "netdev",
  files: ["net/dev"],
  options: {
    keys: ["interfaces"],
    parse(options) {
      const filter = interfaceFilter(options);
      return { value: filter.value ?? (() => true), problems: filter.problems };
    },
  },
  decoder() {
    // why: rtnl_link_stats64 counters are u64 since kernel 2.6.35.
    const memory = new SeriesMemory(64, WIDTH);
    const tags = new TagCache("interface");
    const table = new LayoutCache(parse, shape);
    return (c, ctx, include) => {
      const readNs = readTime(c, ctx);
      const { layout: interfaces, values: v, errors } = table.read(capturedText(c, 0));
      const points: Sample[] = [];
      for (let row = 0; row < interfaces.length; row++) {
        const name = interfaces[row] as string;
        if (!include(name)) continue;
        const s = memory.get(name);
        const counters = s.values;
        for (let i = 0; i < WIDTH; i++) counters[i] = v[row * WIDTH + i];
        memory.step(s, readNs);
        const fields: Record<string, FieldValue> = {};
        addTotals(fields, counters, TOTALS);
        addSeriesRates(fields, s, RATES);
        points.push({ measurement: "netdev", tags: tags.get(ctx, name), fields, timeNs: ctx.nowNs });
      }
      memory.sweep();
      return { points, errors };
    };
  },
});
