// netstate: a snapshot of per-interface offloads (ethtool -k), root qdisc (tc), MTU and operstate (sysfs),
// and the namespace's TCP congestion control and busy-poll sysctls.
import { ConfigError, errorMessage, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { point, pushPoint } from "../shared/points.ts";
import { interfaceFilter, unknownKeys, type NameFilter } from "../shared/options.ts";
import { isNotFound, mapLimit, readProc } from "../shared/sources.ts";
import { parseEthtoolFeatures, parseQdiscs, parseUintFile, parseWordFile, parseWordList, rootQdisc } from "./netstate.parse.ts";
import { FEATURES, featureField } from "./netstate.fields.ts";
import { listInterfaces } from "./netstate.ifaces.ts";

const TOOL_CONCURRENCY = 4;
const TOOL_TIMEOUT_MS = 5000;

interface Tick {
  ctx: SampleContext;
  errors: string[];
  /** Tools found missing: reported once, then not run again. */
  missing: Set<string>;
}

function options(ctx: SampleContext): NameFilter | undefined {
  const filter = interfaceFilter(ctx.options);
  const problems = [...unknownKeys(ctx.options, ["interfaces"]), ...filter.problems].map((p) => `netstate: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return filter.value;
}

/** Runs a tool; undefined when it is missing (reported once) or failed (reported every tick). */
async function tool(tick: Tick, file: string, args: string[]): Promise<string | undefined> {
  if (tick.missing.has(file)) return undefined;
  try {
    return (await tick.ctx.exec(file, args, { signal: tick.ctx.signal, timeoutMs: TOOL_TIMEOUT_MS })).stdout;
  } catch (err) {
    if (isNotFound(err)) {
      tick.missing.add(file);
      tick.errors.push(`netstate: unavailable: ${file} not found (its fields are omitted)`);
    } else tick.errors.push(`netstate: ${file} ${args.join(" ")}: ${errorMessage(err)}`);
    return undefined;
  }
}

async function features(tick: Tick, iface: string, fields: Record<string, FieldValue>): Promise<void> {
  const text = await tool(tick, "ethtool", ["-k", iface]);
  if (text === undefined) return;
  try {
    const parsed = parseEthtoolFeatures(text, `ethtool -k ${iface}`);
    tick.errors.push(...parsed.errors);
    for (const name of FEATURES) {
      const f = parsed.features.get(name);
      if (f === undefined) continue;
      fields[featureField(name)] = f.on;
      fields[`${featureField(name)}_fixed`] = f.fixed;
    }
  } catch (err) {
    tick.errors.push(errorMessage(err));
  }
}

async function qdisc(tick: Tick, iface: string): Promise<string> {
  const text = await tool(tick, "tc", ["qdisc", "show", "dev", iface]);
  if (text === undefined) return "";
  try {
    // "none": the device has no root qdisc (tc prints nothing for a device never brought up).
    return rootQdisc(parseQdiscs(text, `tc qdisc show dev ${iface}`)) ?? "none";
  } catch (err) {
    tick.errors.push(errorMessage(err));
    return "";
  }
}

async function interfacePoint(tick: Tick, iface: string): Promise<Sample | undefined> {
  const { ctx } = tick;
  let mtu: bigint;
  let operstate: string;
  try {
    mtu = parseUintFile(await ctx.fs.sys(`class/net/${iface}/mtu`), `/sys/class/net/${iface}/mtu`);
    operstate = parseWordFile(await ctx.fs.sys(`class/net/${iface}/operstate`), `/sys/class/net/${iface}/operstate`);
  } catch (err) {
    tick.errors.push(`netstate: ${iface}: ${errorMessage(err)}`);
    return undefined; // why: the interface vanished between listing and reading.
  }
  const fields: Record<string, FieldValue> = { mtu_bytes: mtu };
  const [, kind] = await Promise.all([features(tick, iface, fields), qdisc(tick, iface)]);
  return point(ctx, "netstate", { interface: iface, qdisc: kind, operstate }, fields);
}

async function stackPoint(tick: Tick): Promise<Sample | undefined> {
  const { ctx } = tick;
  const cc = parseWordFile(await readProc(ctx, "sys/net/ipv4/tcp_congestion_control"), "tcp_congestion_control");
  const available = parseWordList(await readProc(ctx, "sys/net/ipv4/tcp_available_congestion_control"), "tcp_available_congestion_control");
  const fields: Record<string, FieldValue> = { cc_available_count: BigInt(available.length) };
  for (const name of ["busy_poll", "busy_read"]) {
    try {
      fields[`${name}_us`] = parseUintFile(await ctx.fs.proc(`sys/net/core/${name}`), `/proc/sys/net/core/${name}`);
    } catch (err) {
      tick.errors.push(`netstate: ${errorMessage(err)}`);
    }
  }
  return point(ctx, "netstate_stack", { congestion_control: cc, cc_available: available.join(" ") }, fields);
}

export const netstateSampler: SamplerFactory = (): Sampler => {
  const missing = new Set<string>();
  return {
    name: "netstate",
    defaultIntervalMs: 10_000,
    async init(ctx) {
      options(ctx);
      return { available: true };
    },
    async sample(ctx) {
      const filter = options(ctx);
      const tick: Tick = { ctx, errors: [], missing };
      const ifaces = await listInterfaces(ctx, filter, tick.errors);
      const points: Sample[] = [];
      for (const p of await mapLimit(ifaces, TOOL_CONCURRENCY, (i) => interfacePoint(tick, i))) pushPoint(points, p);
      try {
        pushPoint(points, await stackPoint(tick));
      } catch (err) {
        tick.errors.push(`netstate: ${errorMessage(err)}`); // why: keep the interface points when a sysctl is unreadable.
      }
      return { points, errors: tick.errors };
    },
  };
};
