// netdev: /proc/net/dev counters per interface (the agent's network namespace) plus byte and packet rates.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { interfaceFilter, perOptions, unknownKeys, type NameFilter } from "../shared/options.ts";
import { probeProc, readProc } from "../shared/sources.ts";
import { NETDEV_COLUMNS, parseNetDev } from "./netdev.parse.ts";

/** [column, field]: names built once, not per interface and tick. */
const TOTALS = NETDEV_COLUMNS.map((c) => [c, `${c}_total`] as const);

const RATES: ReadonlyArray<readonly [string, string]> = [
  ["rx_bytes", "rx_bytes_per_s"],
  ["tx_bytes", "tx_bytes_per_s"],
  ["rx_packets", "rx_packets_per_s"],
  ["tx_packets", "tx_packets_per_s"],
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
  const memory = new RateMemory(64);
  return {
    name: "netdev",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "net/dev");
    },
    async sample(ctx) {
      const include = options(ctx);
      const dev = parseNetDev(await readProc(ctx, "net/dev"));
      const points: Sample[] = [];
      for (const row of dev.interfaces) {
        if (!include(row.interface)) continue;
        const interval = memory.step(row.interface, ctx.nowNs, row.counters);
        const fields: Record<string, FieldValue> = {};
        for (const [column, field] of TOTALS) fields[field] = row.counters[column];
        addRates(fields, interval, RATES);
        pushPoint(points, point(ctx, "netdev", { interface: row.interface }, fields));
      }
      memory.sweep();
      return { points, errors: dev.errors };
    },
  };
};
