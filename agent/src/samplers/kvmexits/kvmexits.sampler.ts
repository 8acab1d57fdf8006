// kvmexits: host-wide VM exits per interval from the kvm:kvm_exit tracepoint, counted (not recorded) by a
// long-lived `perf stat -x, -I <ms> -e kvm:kvm_exit -a`. Exits by reason: collectExitReasons (host/kvmstat.collect.ts).
import { ConfigError, type FieldValue, type Sample } from "@eastwest/common";
import type { Availability, SampleContext, Sampler } from "../types.ts";
import { spawnTool } from "../../runtime/spawn.ts";
import { intOption, unknownKeys } from "../shared/options.ts";
import { point, pushPoint } from "../shared/points.ts";
import { sumIntervals, type PerfInterval } from "../shared/perf/perf-stat.parse.ts";
import { PerfStreams, perfStatArgs } from "../shared/perf/perf-stat.stream.ts";
import { perfStatOnce, statusText } from "../shared/perf/perf-probe.ts";
import { PERF_INTERVAL_MS, type PerfDeps } from "../shared/perf/perf-deps.ts";
import { EXIT_BOARD, type ExitBoard } from "./exit-board.ts";
import { ExitWindow } from "./exit-window.ts";

export const KVM_EXIT_EVENT = "kvm:kvm_exit";

function perfIntervalMs(ctx: SampleContext): number {
  const interval = intOption(ctx.options, "perfIntervalMs", PERF_INTERVAL_MS.default, PERF_INTERVAL_MS.min, PERF_INTERVAL_MS.max);
  const problems = [...unknownKeys(ctx.options, ["perfIntervalMs"]), ...interval.problems];
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `kvmexits: ${p}`));
  return interval.value;
}

/**
 * Probes `perf stat -x, -a -e kvm:kvm_exit -- sleep 0.1`: unavailable when perf is missing, the tracepoint does
 * not exist (no kvm module) or may not be read. A count of 0 is available: no guest ran an exit in 100 ms.
 */
export async function probeKvmExits(ctx: SampleContext): Promise<Availability> {
  const probe = await perfStatOnce(ctx, ["-a", "-e", KVM_EXIT_EVENT, "--", "sleep", "0.1"]);
  if (!probe.ok) return { available: false, reason: `unavailable: ${probe.reason}` };
  const exits = probe.records.find((r) => r.event === KVM_EXIT_EVENT);
  if (exits === undefined) return { available: false, reason: `unavailable: perf stat printed no ${KVM_EXIT_EVENT} count` };
  if (exits.status !== "counted") return { available: false, reason: `unavailable: perf stat: ${KVM_EXIT_EVENT} ${statusText(exits.status)}` };
  return { available: true };
}

/** Fields from the intervals since the last tick; `exitsTotal` is the running sum kept by the sampler. */
export function kvmExitFields(intervals: readonly PerfInterval[], exitsTotal: bigint): { fields: Record<string, FieldValue>; exits?: bigint; ns?: bigint } {
  const { durationNs, sums } = sumIntervals(intervals, (e) => (e === KVM_EXIT_EVENT ? e : undefined), (r) => r.value);
  const exits = sums.get(KVM_EXIT_EVENT)?.total;
  if (exits === undefined || durationNs <= 0n) return { fields: {} };
  return {
    exits,
    ns: durationNs,
    fields: {
      exits,
      exits_total: exitsTotal + exits,
      exits_per_s: Number(exits) / (Number(durationNs) / 1e9),
      interval_ns: durationNs,
    },
  };
}

/** `board`: where the vm sampler leaves its per-guest exit counts, compared with the tracepoint's (exit-window.ts). */
export const kvmexitsSampler = (deps: PerfDeps & { board?: ExitBoard } = {}): Sampler => {
  const streams = new PerfStreams(deps.spawn ?? spawnTool);
  const check = new ExitWindow(deps.board ?? EXIT_BOARD);
  let exitsTotal = 0n;
  let ready = false;
  return {
    name: "kvmexits",
    hostOnly: true,
    defaultIntervalMs: 1000,
    async init(ctx) {
      perfIntervalMs(ctx);
      const availability = await probeKvmExits(ctx);
      ready = availability.available;
      return availability;
    },
    /** Nothing before a successful init(); the first point follows the first complete perf interval. */
    async sample(ctx) {
      if (!ready) return { points: [] };
      const ms = perfIntervalMs(ctx);
      const points: Sample[] = [];
      const problems: string[] = [];
      for (const { intervals } of streams.drainAll()) {
        const { fields, exits, ns } = kvmExitFields(intervals, exitsTotal);
        exitsTotal += exits ?? 0n;
        pushPoint(points, point(ctx, "kvm_exits", {}, fields));
        const compared = exits === undefined || ns === undefined ? {} : check.add(ctx, exits, ns);
        pushPoint(points, compared.point);
        if (compared.problem !== undefined) problems.push(compared.problem);
      }
      const spec = { args: perfStatArgs([KVM_EXIT_EVENT], ms, { kind: "system" }), expectedRecords: 1, tags: {} };
      const errors = [...problems, ...(await streams.reconcile(new Map([["host", spec]]))).map((p) => `kvmexits: ${p}`)];
      return { points, errors };
    },
    async close() {
      ready = false;
      await streams.closeAll();
    },
  };
};
