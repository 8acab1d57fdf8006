// pmu: hardware counters (cycles, instructions, cache and branch misses) from long-lived `perf stat -I` children:
// one system-wide (scope "host"), plus one per selected QEMU process (scope "vm", bounded by MAX_VMS).
import { ConfigError, type Sample } from "@eastwest/common";
import type { Availability, SampleContext, Sampler } from "../types.ts";
import { spawnTool } from "../../runtime/spawn.ts";
import { point, pushPoint } from "../shared/points.ts";
import { PerfStreams, perfStatArgs, type StreamSpec } from "../shared/perf/perf-stat.stream.ts";
import { perfStatOnce, statusText } from "../shared/perf/perf-probe.ts";
import type { PerfDeps } from "../shared/perf/perf-deps.ts";
import { PMU_EVENTS, pmuEventKey, pmuFields } from "./pmu.parse.ts";
import { parsePmuOptions, vmTargets, type PmuOptions } from "./pmu.targets.ts";

function options(ctx: SampleContext): PmuOptions {
  const parsed = parsePmuOptions(ctx.options);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems.map((p) => `pmu: ${p}`));
  return parsed.value;
}

export interface PmuProbe {
  availability: Availability;
  /** Lines perf prints per event: 1, or one per core type on hybrid CPUs (cpu_core, cpu_atom). */
  linesPerEvent: number;
}

/**
 * Probes what the host child will run: `perf stat -x, -a -e cycles -- true`. Unavailable when perf is missing,
 * may not count system-wide (perf_event_paranoid, capabilities), or the CPU exposes no cycles counter.
 */
export async function probePmu(ctx: SampleContext): Promise<PmuProbe> {
  const no = (reason: string): PmuProbe => ({ availability: { available: false, reason: `unavailable: ${reason}` }, linesPerEvent: 1 });
  const probe = await perfStatOnce(ctx, ["-a", "-e", "cycles", "--", "true"]);
  if (!probe.ok) return no(probe.reason);
  const cycles = probe.records.filter((r) => pmuEventKey(r.event) === "cycles");
  const counted = cycles.filter((r) => r.status === "counted");
  if (cycles.length === 0) return no("perf stat printed no cycles count");
  if (counted.length > 0) return { availability: { available: true }, linesPerEvent: cycles.length };
  if (cycles.some((r) => r.status === "not_counted")) return no("hardware counters busy (perf stat: cycles <not counted>; NMI watchdog or another profiler?)");
  return no("no hardware PMU (perf stat: cycles <not supported>)");
}

async function wanted(ctx: SampleContext, o: PmuOptions, linesPerEvent: number, errors: string[]): Promise<Map<string, StreamSpec>> {
  const out = new Map<string, StreamSpec>();
  const spec = (target: Parameters<typeof perfStatArgs>[2], tags: Record<string, string>): StreamSpec => ({
    args: perfStatArgs(PMU_EVENTS, o.perfIntervalMs, target),
    expectedRecords: PMU_EVENTS.length * linesPerEvent,
    tags,
  });
  out.set("host", spec({ kind: "system" }, { scope: "host", vm: "" }));
  if (o.pids.length === 0 && !o.vmPids) return out;
  const { vms, dropped, problems } = await vmTargets(ctx.fs, o);
  errors.push(...problems.map((p) => `pmu: ${p}`));
  if (dropped > 0) errors.push(`pmu: ${dropped} more processes not counted (maxVms ${o.maxVms})`);
  for (const vm of vms) out.set(`vm:${vm.pid}`, spec({ kind: "pid", pid: vm.pid }, { scope: "vm", vm: vm.vm }));
  return out;
}

export const pmuSampler = (deps: PerfDeps = {}): Sampler => {
  const streams = new PerfStreams(deps.spawn ?? spawnTool);
  const reported = new Set<string>();
  let ready = false;
  let linesPerEvent = 1;
  return {
    name: "pmu",
    defaultIntervalMs: 1000,
    async init(ctx) {
      options(ctx);
      const probe = await probePmu(ctx);
      ready = probe.availability.available;
      linesPerEvent = probe.linesPerEvent;
      return probe.availability;
    },
    /** Nothing before a successful init(); the first points follow the first complete perf interval. */
    async sample(ctx) {
      if (!ready) return { points: [] };
      const o = options(ctx);
      const points: Sample[] = [];
      const errors: string[] = [];
      for (const { key, tags, intervals } of streams.drainAll()) {
        const { fields, missing } = pmuFields(intervals);
        for (const [event, status] of missing) {
          const what = `pmu: ${key}: ${event} ${statusText(status)}`;
          if (!reported.has(what)) errors.push(what);
          reported.add(what);
        }
        pushPoint(points, point(ctx, "pmu", tags, fields));
      }
      errors.push(...(await streams.reconcile(await wanted(ctx, o, linesPerEvent, errors))).map((p) => `pmu: ${p}`));
      return { points, errors };
    },
    async close() {
      ready = false;
      await streams.closeAll();
    },
  };
};
