// netstate: a snapshot of per-interface offloads (ethtool -k), root qdisc (tc), MTU and operstate (sysfs),
// and the namespace's TCP congestion control and busy-poll sysctls.
import { ConfigError, errorMessage, type FieldValue, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { point, pushPoint } from "../shared/points.ts";
import { interfaceFilter, intOption, perOptions, unknownKeys, type NameFilter } from "../shared/options.ts";
import { isNotFound } from "../../host/tool.ts";
import { mapLimit, readProc } from "../shared/sources.ts";
import { parseAllRootQdiscs } from "../../host/tc.parse.ts";
import { parseEthtoolFeatures } from "../../host/ethtool.parse.ts";
import { parseUintFile, parseWordFile, parseWordList } from "../../host/sysfs.parse.ts";
import { FEATURES } from "../../host/ethtool.parse.ts";
import { featureField } from "./netstate.fields.ts";
import { listInterfaces } from "./netstate.ifaces.ts";
import { settingsGeneration } from "../../runtime/generation.ts";

const TOOL_CONCURRENCY = 4;
const TOOL_TIMEOUT_MS = 5000;

interface Tick {
  ctx: SampleContext;
  errors: string[];
  /** Tools found missing: reported once, then not run again. */
  missing: Set<string>;
  /** Root qdisc kind per device from one `tc qdisc show` (undefined: tc unavailable this tick). */
  qdiscs: Map<string, string> | undefined;
  /** Offload fields per interface (ethtool) and root qdiscs (tc), re-read at most every refreshMs. */
  cache: Map<string, { atNs: bigint; fields: Record<string, FieldValue> }>;
  refreshNs: bigint;
}

interface Options {
  filter: NameFilter | undefined;
  refreshMs: number;
}

function parseOptions(ctx: SampleContext): Options {
  const filter = interfaceFilter(ctx.options);
  const refresh = intOption(ctx.options, "refreshMs", 30_000, 0, 3_600_000);
  const problems = [...unknownKeys(ctx.options, ["interfaces", "refreshMs"]), ...filter.problems, ...refresh.problems].map((p) => `netstate: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { filter: filter.value, refreshMs: refresh.value };
}

const options = perOptions(parseOptions);

/** Runs a tool; undefined when it is missing (reported once) or failed (reported every tick). */
async function tool(tick: Tick, file: string, args: string[]): Promise<string | undefined> {
  if (tick.missing.has(file)) return undefined;
  try {
    return (await tick.ctx.exec(file, args, { signal: tick.ctx.signal, timeoutMs: TOOL_TIMEOUT_MS })).stdout;
  } catch (err) {
    if (isNotFound(err)) {
      // why: concurrent calls for several interfaces can all find it missing; report it once.
      if (!tick.missing.has(file)) tick.errors.push(`netstate: unavailable: ${file} not found (its fields are omitted)`);
      tick.missing.add(file);
    } else tick.errors.push(`netstate: ${file} ${args.join(" ")}: ${errorMessage(err)}`);
    return undefined;
  }
}

// why: offloads and qdiscs change only when an operator (or a campaign) sets them, and one ethtool and
// tc process per interface per tick was most of the agent's CPU at 1 Hz; refreshMs 0 re-reads every tick.
async function features(tick: Tick, iface: string, fields: Record<string, FieldValue>): Promise<void> {
  const cached = tick.cache.get(iface);
  if (cached && tick.ctx.nowNs - cached.atNs < tick.refreshNs) {
    Object.assign(fields, cached.fields);
    return;
  }
  const fresh: Record<string, FieldValue> = {};
  await readFeatures(tick, iface, fresh);
  if (Object.keys(fresh).length > 0) tick.cache.set(iface, { atNs: tick.ctx.nowNs, fields: fresh });
  Object.assign(fields, fresh);
}

async function readFeatures(tick: Tick, iface: string, fields: Record<string, FieldValue>): Promise<void> {
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

/** One `tc qdisc show` for every device (one process per tick, not one per interface). */
async function allQdiscs(tick: Tick): Promise<Map<string, string> | undefined> {
  const text = await tool(tick, "tc", ["qdisc", "show"]);
  if (text === undefined) return undefined;
  try {
    return parseAllRootQdiscs(text);
  } catch (err) {
    tick.errors.push(errorMessage(err));
    return undefined;
  }
}

function qdisc(tick: Tick, iface: string): string {
  // "none": the device has no root qdisc (tc prints nothing for a device never brought up); "": tc unavailable.
  return tick.qdiscs === undefined ? "" : (tick.qdiscs.get(iface) ?? "none");
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
  await features(tick, iface, fields);
  return point(ctx, "netstate", { interface: iface, qdisc: qdisc(tick, iface), operstate }, fields);
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
  const cache: Tick["cache"] = new Map();
  let qdiscCache: { atNs: bigint; value: Map<string, string> } | undefined;
  let seenGeneration = settingsGeneration();
  return {
    name: "netstate",
    defaultIntervalMs: 10_000,
    async init(ctx) {
      options(ctx);
      return { available: true };
    },
    async sample(ctx) {
      const { filter, refreshMs } = options(ctx);
      if (seenGeneration !== settingsGeneration()) {
        // why: the agent changed a setting (campaign cell): cached ethtool/tc state is stale.
        cache.clear();
        qdiscCache = undefined;
        seenGeneration = settingsGeneration();
      }
      const tick: Tick = { ctx, errors: [], missing, qdiscs: undefined, cache, refreshNs: BigInt(refreshMs) * 1_000_000n };
      const ifaces = await listInterfaces(ctx, filter, tick.errors);
      if (qdiscCache === undefined || ctx.nowNs - qdiscCache.atNs >= tick.refreshNs) {
        const fresh = await allQdiscs(tick);
        qdiscCache = fresh === undefined ? undefined : { atNs: ctx.nowNs, value: fresh };
        tick.qdiscs = fresh;
      } else tick.qdiscs = qdiscCache.value;
      for (const name of cache.keys()) if (!ifaces.includes(name)) cache.delete(name);
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
