// Scheduler test seams: fake samplers (the Sampler interface, not a mock of a real sampler) and a
// Scheduler whose emitted points can be awaited.
import { silentLogger, type Sample } from "@eastwest/common";
import { hostFs } from "@eastwest/agent/runtime/hostfs";
import type { Exec } from "@eastwest/agent/runtime/exec";
import { Scheduler, type ScheduledSampler } from "@eastwest/agent/runtime/scheduler";
import type { Availability, SampleContext, Sampler } from "@eastwest/agent/samplers/types";

/**
 * A fake sampler (the Sampler seam): records each tick's options; `fail` makes ticks throw; `during` runs in
 * tick n (1-based) and may wait or throw.
 */
export function fakeSampler(name: string, opts: { fail?: boolean; init?: () => Promise<Availability>; during?: (n: number) => Promise<void> } = {}) {
  const seen: Array<Readonly<Record<string, unknown>>> = [];
  let closed = 0;
  const sampler: Sampler = {
    name,
    defaultIntervalMs: 1000,
    async sample(ctx: SampleContext) {
      seen.push(ctx.options);
      if (opts.fail) throw new Error(`${name} broke`);
      await opts.during?.(seen.length);
      return { points: [{ measurement: name, tags: {}, fields: { n: BigInt(seen.length) }, timeNs: ctx.nowNs }] };
    },
    async close() {
      closed += 1;
    },
  };
  if (opts.init) sampler.init = (_ctx) => (opts.init as () => Promise<Availability>)();
  return { sampler, seen, closedCount: () => closed };
}

const noExec: Exec = async (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

/** A Scheduler whose emitted points are kept; `until(pred)` resolves on the emit that makes pred true. */
export function harness(samplers: ScheduledSampler[], selfIntervalMs?: number) {
  const emitted: Sample[] = [];
  const waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  const scheduler = new Scheduler(samplers, {
    fs: hostFs(),
    exec: noExec,
    baseTags: { agent_id: "a1" },
    logger: silentLogger(),
    ...(selfIntervalMs === undefined ? {} : { selfIntervalMs }),
    emit: (points) => {
      emitted.push(...points);
      for (const w of waiters.splice(0)) if (w.pred()) w.resolve();
      else waiters.push(w);
    },
  });
  const until = (pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
    });
  const selfPoints = (name: string): Sample[] => emitted.filter((p) => p.measurement === "eastwest_sampler" && p.tags["sampler"] === name);
  return { scheduler, emitted, until, selfPoints };
}
