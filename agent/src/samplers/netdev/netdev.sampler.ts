// netdev: /proc/net/dev counters per interface (the agent's network namespace) plus byte and packet rates.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { Captured, SampleContext, SampleResult, Sampler, SamplerFactory } from "../types.ts";
import { SeriesMemory } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import type { Shape } from "../shared/shape.ts";
import { interfaceFilter, perOptions, unknownKeys, type NameFilter } from "../shared/options.ts";
import { captureProc, capturedText, probeProc, type CapturedProc } from "../shared/sources.ts";
import { NETDEV_COLUMNS, netDevShape, netDevValues, parseNetDev, type NetDevColumn, type NetDevValues } from "./netdev.parse.ts";

const WIDTH = NETDEV_COLUMNS.length;
/** Field per column: names built once, not per interface and tick. */
const TOTALS = NETDEV_COLUMNS.map((c) => `${c}_total`);

const column = (c: NetDevColumn): number => NETDEV_COLUMNS.indexOf(c);
const RATES: ReadonlyArray<readonly [number, string]> = [
  [column("rx_bytes"), "rx_bytes_per_s"],
  [column("tx_bytes"), "tx_bytes_per_s"],
  [column("rx_packets"), "rx_packets_per_s"],
  [column("tx_packets"), "tx_packets_per_s"],
];

/** Options: `interfaces` (names or "/regex/"), default all. */
function parseOptions(ctx: SampleContext): NameFilter {
  const filter = interfaceFilter(ctx.options);
  const problems = [...unknownKeys(ctx.options, ["interfaces"]), ...filter.problems].map((p) => `netdev: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return filter.value ?? (() => true);
}

const options = perOptions(parseOptions);

export const netdevSampler: SamplerFactory = (): Sampler => {
  // why: rtnl_link_stats64 counters are u64 since kernel 2.6.35.
  const memory = new SeriesMemory(64, WIDTH);
  const tags = new TagCache("interface");
  let known: { shape: Shape; interfaces: string[] } | undefined;
  const read: Array<bigint | undefined> = [];

  /** This read by position: through the shape of the last clean parse while the text keeps it, else parsed. */
  function values(text: string): NetDevValues & { errors: string[] } {
    if (known !== undefined && known.shape.read(text, read)) return { interfaces: known.interfaces, values: read, errors: [] };
    const dev = parseNetDev(text);
    known = dev.errors.length === 0 ? netDevShape(text) : undefined;
    return { ...netDevValues(dev), errors: dev.errors };
  }

  const capture = (ctx: SampleContext): Promise<CapturedProc> => captureProc(ctx, "net/dev");

  return {
    name: "netdev",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "net/dev");
    },
    async sample(ctx) {
      return decode(await capture(ctx), ctx);
    },
    capture,
    decode,
  };

  async function decode(c: Captured, ctx: SampleContext): Promise<SampleResult> {
    const include = options(ctx);
    const { interfaces, values: v, errors } = values(capturedText(c, 0));
    const points: Sample[] = [];
    for (let row = 0; row < interfaces.length; row++) {
      const name = interfaces[row] as string;
      if (!include(name)) continue;
      const s = memory.get(name);
      const counters = s.values;
      for (let i = 0; i < WIDTH; i++) counters[i] = v[row * WIDTH + i];
      memory.step(s, ctx.nowNs);
      const fields: Record<string, FieldValue> = {};
      for (let i = 0; i < WIDTH; i++) fields[TOTALS[i] as string] = counters[i] as bigint;
      for (const [i, field] of RATES) {
        const perS = s.perSecond(i);
        if (perS !== undefined) fields[field] = perS;
      }
      points.push({ measurement: "netdev", tags: tags.get(ctx, name), fields, timeNs: ctx.nowNs });
    }
    memory.sweep();
    return { points, errors };
  }
};
