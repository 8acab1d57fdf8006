// membw: memory bandwidth from (a) the integrated memory controllers' CAS counts (perf uncore_imc, a long-lived
// `perf stat -I` child) and (b) resctrl MBM counters per monitoring group (/sys/fs/resctrl).
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { Availability, SampleContext, Sampler } from "../types.ts";
import { spawnTool } from "../../runtime/spawn.ts";
import { intOption, unknownKeys } from "../shared/options.ts";
import { point, pushPoint } from "../shared/points.ts";
import { RateMemory, addRates } from "../shared/rates.ts";
import { PerfStreams, perfStatArgs } from "../shared/perf/perf-stat.stream.ts";
import { perfStatOnce, statusText } from "../shared/perf/perf-probe.ts";
import { PERF_INTERVAL_MS, type PerfDeps } from "../shared/perf/perf-deps.ts";
import { IMC_EVENTS, imcFields, parseScale, type ImcScale } from "./membw.parse.ts";
import { mbmGroups, readMbmGroup, resctrlProblem } from "./membw.resctrl.ts";
import { readStamp } from "../shared/sources.ts";

interface MembwOptions {
  perfIntervalMs: number;
  maxGroups: number;
}

function options(ctx: SampleContext): MembwOptions {
  const interval = intOption(ctx.options, "perfIntervalMs", PERF_INTERVAL_MS.default, PERF_INTERVAL_MS.min, PERF_INTERVAL_MS.max);
  const groups = intOption(ctx.options, "maxGroups", 32, 1, 256);
  const problems = [...unknownKeys(ctx.options, ["perfIntervalMs", "maxGroups"]), ...interval.problems, ...groups.problems];
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `membw: ${p}`));
  return { perfIntervalMs: interval.value, maxGroups: groups.value };
}

const DEVICES = "bus/event_source/devices";

type ImcProbe = { ok: true; scale: ImcScale } | { ok: false; present: boolean; reason: string };

/** An uncore_imc PMU with a cas_count_read event, its sysfs scale and unit, and a perf run that counts it. */
export async function probeImc(ctx: SampleContext): Promise<ImcProbe> {
  const devices = await ctx.fs.sysDir(DEVICES).catch(() => [] as string[]);
  const imc = devices.filter((d) => d.startsWith("uncore_imc")).sort();
  const events = `${DEVICES}/${imc[0] ?? ""}/events`;
  const scaleText = imc.length > 0 ? await ctx.fs.sys(`${events}/cas_count_read.scale`).catch(() => undefined) : undefined;
  const event = imc.length > 0 ? await ctx.fs.sys(`${events}/cas_count_read`).catch(() => undefined) : undefined;
  if (event === undefined) return { ok: false, present: false, reason: "no uncore_imc PMU" };
  const unitText = await ctx.fs.sys(`${events}/cas_count_read.unit`).catch(() => undefined);
  const scale: ImcScale = {
    ...(scaleText !== undefined && parseScale(scaleText) !== undefined ? { sysScale: parseScale(scaleText) } : {}),
    ...(unitText !== undefined ? { sysUnit: unitText.trim() } : {}),
  };
  const probe = await perfStatOnce(ctx, ["-a", "-e", IMC_EVENTS.join(","), "--", "true"]);
  if (!probe.ok) return { ok: false, present: true, reason: probe.reason };
  const read = probe.records.find((r) => r.event.includes("cas_count_read"));
  if (read === undefined || read.status !== "counted") {
    return { ok: false, present: true, reason: `perf stat: uncore_imc/cas_count_read/ ${read === undefined ? "not printed" : statusText(read.status)}` };
  }
  return { ok: true, scale };
}

function resctrlPoint(ctx: SampleContext, memory: RateMemory, group: string, values: Partial<Record<string, bigint>>, readNs: bigint): Sample | undefined {
  const counters: Record<string, bigint> = {};
  const fields: Record<string, FieldValue> = {};
  for (const name of ["total_bytes", "local_bytes"]) {
    const v = values[name];
    if (v === undefined) continue;
    counters[name] = v;
    fields[`${name}_total`] = v;
  }
  if (values["llc_occupancy_bytes"] !== undefined) fields["llc_occupancy_bytes"] = values["llc_occupancy_bytes"];
  addRates(fields, memory.step(group, readNs, counters), [["total_bytes", "total_bytes_per_s"], ["local_bytes", "local_bytes_per_s"]]);
  return point(ctx, "membw", { source: "resctrl", group }, fields);
}

interface State {
  streams: PerfStreams;
  // why: the kernel extends the MBM hardware counters (24..62 bits) to 64-bit byte counts.
  memory: RateMemory;
  /** Set when the IMC source is usable (init). */
  imc?: ImcScale;
  resctrl: boolean;
  /** Said once, on the first tick: a source that is present but unusable. */
  notes: string[];
}

async function imcTick(st: State, ctx: SampleContext, o: MembwOptions, points: Sample[], errors: string[]): Promise<void> {
  const scale = st.imc;
  if (scale === undefined) return;
  for (const { tags, intervals } of st.streams.drainAll()) {
    const { fields, missing } = imcFields(intervals, scale);
    if (missing.length > 0) errors.push(`membw: uncore_imc ${missing.join(", ")} not counted`);
    pushPoint(points, point(ctx, "membw", tags, fields));
  }
  const args = perfStatArgs(IMC_EVENTS, o.perfIntervalMs, { kind: "system" });
  const spec = { args, expectedRecords: IMC_EVENTS.length, tags: { source: "imc", group: "" } };
  errors.push(...(await st.streams.reconcile(new Map([["imc", spec]]))).map((p) => `membw: ${p}`));
}

async function resctrlTick(st: State, ctx: SampleContext, o: MembwOptions, points: Sample[], errors: string[]): Promise<void> {
  if (!st.resctrl) return;
  const { groups, dropped } = await mbmGroups(ctx.fs, o.maxGroups);
  if (dropped > 0) errors.push(`membw: ${dropped} more resctrl groups not read (maxGroups ${o.maxGroups})`);
  for (const group of groups) {
    const stamp = readStamp(ctx);
    const g = await readMbmGroup(ctx.fs, group);
    const readNs = stamp.done() ?? ctx.nowNs;
    errors.push(...g.problems.map((p) => `membw: ${p}`));
    pushPoint(points, resctrlPoint(ctx, st.memory, group, g.values, readNs));
  }
  st.memory.sweep();
}

async function init(st: State, ctx: SampleContext): Promise<Availability> {
  options(ctx);
  const probe = await probeImc(ctx);
  const noResctrl = await resctrlProblem(ctx.fs);
  st.imc = probe.ok ? probe.scale : undefined;
  st.resctrl = noResctrl === undefined;
  if (!probe.ok && noResctrl !== undefined) {
    const imcWhy = probe.present ? `uncore_imc: ${probe.reason}` : "no uncore_imc PMU";
    return { available: false, reason: `unavailable: ${imcWhy} and no resctrl (${noResctrl})` };
  }
  st.notes = !probe.ok && probe.present ? [`membw: uncore_imc: ${probe.reason} (resctrl only)`] : [];
  return { available: true };
}

export const membwSampler = (deps: PerfDeps = {}): Sampler => {
  const st: State = { streams: new PerfStreams(deps.spawn ?? spawnTool), memory: new RateMemory(64), resctrl: false, notes: [] };
  return {
    name: "membw",
    hostOnly: true,
    defaultIntervalMs: 1000,
    init: (ctx) => init(st, ctx),
    /** Nothing before a successful init(); IMC points follow the first complete perf interval. */
    async sample(ctx) {
      const o = options(ctx);
      const points: Sample[] = [];
      const errors = st.notes;
      st.notes = [];
      await imcTick(st, ctx, o, points, errors);
      await resctrlTick(st, ctx, o, points, errors);
      return { points, errors };
    },
    async close() {
      st.imc = undefined;
      st.resctrl = false;
      await st.streams.closeAll();
    },
  };
};
