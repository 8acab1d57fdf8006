// The scheduler wakes once per grid tick per interval: samplers sharing an interval tick together, extra work
// (the agent's own point) rides the same wake-up, and a tick's deadline signal exists only when asked for.
import assert from "node:assert/strict";
import type { SampleContext, Sampler } from "../../../agent/src/samplers/types.ts";
import { fakeSampler, harness } from "./fakes.ts";

describe("Scheduler: one timer per interval", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("samplers of one interval tick in the same wake-up, with one tick time; `every` runs on that grid too", async () => {
    const a = fakeSampler("a");
    const b = fakeSampler("b");
    const c = fakeSampler("c");
    const h = harness([
      { sampler: a.sampler, intervalMs: 20, options: {} },
      { sampler: b.sampler, intervalMs: 20, options: {} },
      { sampler: c.sampler, intervalMs: 35, options: {} },
    ]);
    stop = () => h.scheduler.stop();
    let extra = 0;
    const aAtExtra: number[] = [];
    h.scheduler.every(20, () => {
      extra += 1;
      aAtExtra.push(a.seen.length);
    });
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => a.seen.length >= 4 && b.seen.length >= 4 && c.seen.length >= 3, "ticks of every sampler");
    const times = (name: string) => h.emitted.filter((p) => p.measurement === name).map((p) => p.timeNs);
    const shared = times("b");
    assert.deepEqual(times("a").slice(0, 3), shared.slice(0, 3), "a and b tick together");
    assert.ok(times("c").slice(1).every((t) => !shared.includes(t)), "c has its own grid");
    assert.ok(extra >= 3);
    assert.deepEqual(aAtExtra.slice(0, 3), [0, 1, 2], "the extra work runs just before each tick of a and b");
  });

  it("a tick's deadline signal aborts when its interval is over", async () => {
    const signals: AbortSignal[] = [];
    const slow: Sampler = {
      name: "slow",
      defaultIntervalMs: 1000,
      async sample(ctx: SampleContext) {
        const signal = ctx.signal;
        signals.push(signal);
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        return { points: [] };
      },
    };
    const h = harness([{ sampler: slow, intervalMs: 30, options: {} }]);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => h.selfPoints("slow").length >= 2, "two ticks ended by their deadline");
    assert.ok(signals.every((s) => s.aborted && (s.reason as DOMException).name === "TimeoutError"));
  });
});
