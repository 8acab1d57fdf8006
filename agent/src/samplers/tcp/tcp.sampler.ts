// tcp: TCP, UDP and IP stack counters of the agent's network namespace (/proc/net/snmp, /proc/net/netstat).
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory, addRates, type Interval } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perOptions, unknownKeys } from "../shared/options.ts";
import { probeProc, readProc } from "../shared/sources.ts";
import { mergeSnmp, parseSnmp, type SnmpGroups, type SnmpWanted } from "./tcp.parse.ts";
import { IP_FIELDS, RATES, TCP_FIELDS, UDP_FIELDS, type Selection } from "./tcp.fields.ts";

const MEASUREMENTS: ReadonlyArray<readonly ["tcp" | "udp" | "ip", Selection]> = [
  ["tcp", TCP_FIELDS],
  ["udp", UDP_FIELDS],
  ["ip", IP_FIELDS],
];

const WANTED: SnmpWanted = (() => {
  const out = new Map<string, Set<string>>();
  for (const [, selection] of MEASUREMENTS) for (const [group, name] of selection) out.set(group, (out.get(group) ?? new Set()).add(name));
  return out;
})();

/** Selected values as fields; counters must be >= 0 to be emitted as uint. */
function select(groups: SnmpGroups, selection: Selection): { fields: Record<string, bigint>; missing: string[] } {
  const fields: Record<string, bigint> = {};
  const missing: string[] = [];
  for (const [group, name, field] of selection) {
    const v = groups.get(group)?.get(name);
    if (v === undefined) missing.push(`${group}.${name}`);
    else if (v >= 0n) fields[field] = v;
  }
  return { fields, missing };
}

function ratioPct(interval: Interval | undefined, part: string, whole: string): number | undefined {
  const p = interval?.deltas[part];
  const w = interval?.deltas[whole];
  return p === undefined || w === undefined || w === 0n ? undefined : (Number(p) * 100) / Number(w);
}

function parseOptions(ctx: SampleContext): void {
  const problems = unknownKeys(ctx.options, []).map((p) => `tcp: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

const options = perOptions(parseOptions);

export const tcpSampler: SamplerFactory = (): Sampler => {
  // why: MIB counters are `unsigned long` (64-bit on 64-bit kernels); on a 32-bit kernel a wrap reads as a reset (rate skipped).
  const memory = new RateMemory(64);
  const reported = new Set<string>();
  return {
    name: "tcp",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      return probeProc(ctx, "net/snmp", "net/netstat");
    },
    async sample(ctx) {
      options(ctx);
      const snmp = parseSnmp(await readProc(ctx, "net/snmp"), "/proc/net/snmp", WANTED);
      const netstat = parseSnmp(await readProc(ctx, "net/netstat"), "/proc/net/netstat", WANTED);
      const all = mergeSnmp(snmp, netstat);
      const points: Sample[] = [];
      const errors = [...all.errors];
      for (const [name, selection] of MEASUREMENTS) {
        const { fields, missing } = select(all.groups, selection);
        const interval = memory.step(name, ctx.nowNs, fields);
        const out: Record<string, FieldValue> = { ...fields };
        addRates(out, interval, RATES[name]);
        if (name === "tcp") {
          const pct = ratioPct(interval, "retrans_segs_total", "out_segs_total");
          if (pct !== undefined) out["retrans_segs_pct"] = pct;
        }
        pushPoint(points, point(ctx, name, {}, out));
        // why: counters differ by kernel version (e.g. TCPDelivered since 4.18); say so once, not every tick.
        for (const m of missing.filter((x) => !reported.has(x))) {
          errors.push(`tcp: ${m} not provided by this kernel`);
          reported.add(m);
        }
      }
      memory.sweep();
      return { points, errors };
    },
  };
};
