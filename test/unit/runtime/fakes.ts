// Scheduler test seams: fake samplers (the Sampler interface, not a mock of a real sampler) and a
// Scheduler whose emitted points can be awaited.
import { silentLogger, type Sample } from "@eastwest/common";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import { Scheduler, type HoldLimits, type ScheduledSampler } from "../../../agent/src/runtime/scheduler.ts";
import type { Availability, Captured, SampleContext, SampleResult, Sampler } from "../../../agent/src/samplers/types.ts";

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

/** What splitSampler's capture returns: its size and its number (1-based, in capture order). */
export interface FakeCapture extends Captured {
  readonly n: number;
}

/**
 * A fake sampler that splits its ticks (capture, decode; sample is decode(await capture)). Capture n (1-based)
 * returns {bytes, n}; decode returns one point of field n stamped ctx.nowNs. Counts every call, the tick time of
 * each capture, decodes in flight at once (maxDecoding) and captures made while a decode was in flight.
 * `captureFails(n)` makes capture n throw; `decodeDelayMs` makes every decode wait that long.
 */
export function splitSampler(name: string, opts: { bytes?: number; captureFails?: (n: number) => boolean; decodeDelayMs?: number } = {}) {
  const bytes = opts.bytes ?? 100;
  const calls = { captures: 0, decodes: 0, samples: 0, closes: 0, decoding: 0, maxDecoding: 0, capturedWhileDecoding: 0 };
  /** Tick time of capture n at [n - 1]. */
  const captureNs: bigint[] = [];
  /** Capture numbers in decode order. */
  const decoded: number[] = [];
  /** "decode" and "close", in call order. */
  const events: string[] = [];
  async function capture(ctx: SampleContext): Promise<FakeCapture> {
    const n = ++calls.captures;
    captureNs.push(ctx.nowNs);
    if (calls.decoding > 0) calls.capturedWhileDecoding += 1;
    if (opts.captureFails?.(n)) throw new Error(`${name} capture ${n} broke`);
    return { bytes, n };
  }
  async function decode(c: Captured, ctx: SampleContext): Promise<SampleResult> {
    calls.decodes += 1;
    calls.decoding += 1;
    calls.maxDecoding = Math.max(calls.maxDecoding, calls.decoding);
    events.push("decode");
    try {
      if (opts.decodeDelayMs !== undefined) await new Promise((r) => setTimeout(r, opts.decodeDelayMs));
      const n = (c as FakeCapture).n;
      decoded.push(n);
      return { points: [{ measurement: name, tags: {}, fields: { n: BigInt(n) }, timeNs: ctx.nowNs }] };
    } finally {
      calls.decoding -= 1;
    }
  }
  const sampler: Sampler = {
    name,
    defaultIntervalMs: 1000,
    async sample(ctx) {
      calls.samples += 1;
      return decode(await capture(ctx), ctx);
    },
    capture,
    decode,
    async close() {
      calls.closes += 1;
      events.push("close");
    },
  };
  return { sampler, calls, captureNs, decoded, events };
}

const noExec: Exec = async (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

/**
 * A Scheduler whose emitted points are kept; `until(pred)` resolves on the emit that makes pred true.
 * `hold`: the scheduler's hold limits (default: the scheduler's own).
 */
export function harness(samplers: ScheduledSampler[], selfIntervalMs?: number, hold?: HoldLimits) {
  const emitted: Sample[] = [];
  const waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  const scheduler = new Scheduler(samplers, {
    fs: hostFs(),
    exec: noExec,
    baseTags: { agent_id: "a1" },
    logger: silentLogger(),
    ...(selfIntervalMs === undefined ? {} : { selfIntervalMs }),
    ...(hold === undefined ? {} : { hold }),
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
