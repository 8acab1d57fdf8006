// Helpers of the Scheduler.hold tests: a started scheduler with a splittable sampler, waiting, point selection.
import assert from "node:assert/strict";
import type { Sample } from "@eastwest/common";
import type { HoldLimits } from "../../../agent/src/runtime/scheduler.ts";
import { fakeSampler, harness, splitSampler } from "./fakes.ts";

export const BYTES = 100;

/** Lets pending ticks finish (the fakes settle in microtasks). */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Polls `pred` every 2 ms until true; rejects after timeoutMs naming `what`. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const of = (emitted: readonly Sample[], name: string): Sample[] => emitted.filter((p) => p.measurement === name);
export const ns = (points: readonly Sample[]): number[] => points.map((p) => Number(p.fields["n"]));
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function assertIncreasing(times: readonly bigint[], what: string): void {
  for (let i = 1; i < times.length; i++) assert.ok((times[i] as bigint) > (times[i - 1] as bigint), `${what}: time ${i} not after time ${i - 1}`);
}

/** A started scheduler with one splittable sampler "split" (and optionally a plain one), ticking every 10 ms. */
export async function started(opts: { split?: Parameters<typeof splitSampler>[1]; plain?: boolean; hold?: HoldLimits; holdFirstMs?: number; start?: boolean } = {}) {
  const split = splitSampler("split", { bytes: BYTES, ...opts.split });
  const plain = fakeSampler("plain");
  const h = harness(
    [{ sampler: split.sampler, intervalMs: 10, options: {} }, ...(opts.plain ? [{ sampler: plain.sampler, intervalMs: 10, options: {} }] : [])],
    undefined,
    opts.hold,
  );
  await h.scheduler.init();
  if (opts.holdFirstMs !== undefined) assert.equal(h.scheduler.hold(opts.holdFirstMs).holding, true);
  if (opts.start !== false) h.scheduler.start();
  return { split, plain, h };
}
