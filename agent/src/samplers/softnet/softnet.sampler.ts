// softnet: per-cpu packet processing, backlog drops and NAPI budget squeezes from /proc/net/softnet_stat.
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perOptions, unknownKeys } from "../shared/options.ts";
import { probeProc, readProc } from "../shared/sources.ts";
import { parseSoftnet, type SoftnetRow } from "./softnet.parse.ts";

const COUNTERS = ["processed", "dropped", "time_squeeze", "received_rps", "flow_limit_count"] as const;
/** Counter -> field: names built once, not per cpu and tick. */
const TOTALS: Readonly<Record<string, string>> = Object.fromEntries(COUNTERS.map((c) => [c, `${c}_total`]));
const RATES: ReadonlyArray<readonly [string, string]> = [
  ["processed", "processed_per_s"],
  ["dropped", "dropped_per_s"],
  ["time_squeeze", "time_squeeze_per_s"],
];

function counters(row: SoftnetRow): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const key of COUNTERS) {
    const v = row[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function parseOptions(ctx: SampleContext): void {
  const problems = unknownKeys(ctx.options, []).map((p) => `softnet: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

const options = perOptions(parseOptions);

export const softnetSampler: SamplerFactory = (): Sampler => {
  // why: softnet_data counters are `unsigned int`, printed as %08x, and wrap at 2^32.
  const memory = new RateMemory(32);
  return {
    name: "softnet",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "net/softnet_stat");
    },
    async sample(ctx) {
      options(ctx);
      const parsed = parseSoftnet(await readProc(ctx, "net/softnet_stat"));
      const points: Sample[] = [];
      for (const row of parsed.rows) {
        const cpu = `cpu${row.cpu}`;
        const totals = counters(row);
        const interval = memory.step(cpu, ctx.nowNs, totals);
        const fields: Record<string, FieldValue> = {};
        for (const key in totals) fields[TOTALS[key] as string] = totals[key] as bigint;
        if (row.backlog_len !== undefined) fields["backlog_len"] = row.backlog_len;
        addRates(fields, interval, RATES);
        pushPoint(points, point(ctx, "softnet", { cpu }, fields));
      }
      memory.sweep();
      return { points, errors: parsed.errors };
    },
  };
};
