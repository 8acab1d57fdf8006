import assert from "node:assert/strict";
import type { Sampler } from "../../../agent/src/samplers/types.ts";
import { fakeSampler, harness } from "./fakes.ts";

describe("Scheduler", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("a failing sampler does not stop a good one; each tick reports up, errors and duration", async () => {
    const good = fakeSampler("good");
    const bad = fakeSampler("bad", { fail: true });
    const h = harness([{ sampler: good.sampler, intervalMs: 10, options: {} }, { sampler: bad.sampler, intervalMs: 10, options: {} }]);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => good.seen.length >= 3 && bad.seen.length >= 3, "three ticks of each");
    const badSelf = h.selfPoints("bad");
    const goodSelf = h.selfPoints("good");
    assert.ok(badSelf.every((p) => p.fields["up"] === false) && goodSelf.every((p) => p.fields["up"] === true));
    assert.ok((badSelf.at(-1)?.fields["errors_total"] as bigint) >= 3n);
    assert.ok(goodSelf.every((p) => typeof p.fields["duration_ns"] === "bigint" && p.tags["agent_id"] === "a1"));
    const state = h.scheduler.states().find((s) => s.name === "bad");
    assert.equal(state?.lastError, "bad broke");
    assert.ok(h.emitted.some((p) => p.measurement === "good"));
  });

  it("a sampler that throws before returning a promise is a failed tick, not a crash", async () => {
    const good = fakeSampler("good");
    const sync: Sampler = {
      name: "sync",
      defaultIntervalMs: 1000,
      sample: () => {
        throw new Error("sync broke");
      },
    };
    const h = harness([{ sampler: sync, intervalMs: 10, options: {} }, { sampler: good.sampler, intervalMs: 10, options: {} }]);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => h.selfPoints("sync").length >= 2 && good.seen.length >= 2, "two ticks of each");
    assert.ok(h.selfPoints("sync").every((p) => p.fields["up"] === false));
    assert.equal(h.scheduler.states().find((s) => s.name === "sync")?.lastError, "sync broke");
  });

  it("skips and reports unavailable samplers (declared or failing init)", async () => {
    const good = fakeSampler("good");
    const missing = fakeSampler("missing", { init: async () => ({ available: false, reason: "unavailable: no source" }) });
    const broken = fakeSampler("broken", { init: async () => Promise.reject(new Error("boom")) });
    const h = harness([
      { sampler: good.sampler, intervalMs: 10, options: {} },
      { sampler: missing.sampler, intervalMs: 10, options: {} },
      { sampler: broken.sampler, intervalMs: 10, options: {} },
    ]);
    stop = () => h.scheduler.stop();
    const states = await h.scheduler.init();
    assert.deepEqual(
      states.map((s) => [s.name, s.availability]),
      [
        ["good", { available: true }],
        ["missing", { available: false, reason: "unavailable: no source" }],
        ["broken", { available: false, reason: "unavailable: init failed: boom" }],
      ],
    );
    h.scheduler.start();
    await h.until(() => good.seen.length >= 3, "three good ticks");
    assert.deepEqual([missing.seen.length, broken.seen.length, h.selfPoints("missing").length], [0, 0, 0]);
  });

  it("setInterval takes effect at once and reverts after forMs", async () => {
    const slow = fakeSampler("slow");
    const h = harness([{ sampler: slow.sampler, intervalMs: 60_000, options: {} }]);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => slow.seen.length === 1, "the first tick");
    assert.equal(h.scheduler.setInterval("nosuch", 10), 0);
    assert.equal(h.scheduler.setInterval("slow", 10, 200), 1);
    await h.until(() => slow.seen.length >= 4, "fast ticks");
    assert.equal(h.scheduler.states()[0]?.intervalMs, 10);
    assert.equal(h.selfPoints("slow").at(-1)?.fields["interval_ms"], 10n);
    await h.until(() => h.selfPoints("slow").at(-1)?.fields["interval_ms"] === 60_000n, "a tick after the revert");
    assert.equal(h.scheduler.states()[0]?.intervalMs, 60_000);
  });

  it("setOptions merges over the configured options for the next tick and reverts after forMs", async () => {
    const s = fakeSampler("tcpinfo");
    const configured = { flows: [{ port: 22 }], maxFlows: 4 };
    const h = harness([{ sampler: s.sampler, intervalMs: 30, options: configured }]);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => s.seen.length >= 1, "the first tick");
    assert.equal(h.scheduler.setOptions("nosuch", {}), 0);
    assert.equal(h.scheduler.setOptions("tcpinfo", { flows: [{ port: 5201 }] }, 150), 1);
    const watched = { flows: [{ port: 5201 }], maxFlows: 4 };
    assert.deepEqual(h.scheduler.options("tcpinfo"), watched);
    await h.until(() => s.seen.some((o) => JSON.stringify(o) === JSON.stringify(watched)), "a tick with the override");
    const at = s.seen.length;
    await h.until(() => s.seen.length > at && s.seen.at(-1) === configured, "a tick with the configured options again");
    assert.equal(h.scheduler.options("tcpinfo"), configured);
  });

  it("setOptions with forMs 0 keeps the override; a later call replaces it; stop is safe twice and closes samplers", async () => {
    const s = fakeSampler("x");
    const h = harness([{ sampler: s.sampler, intervalMs: 20, options: { a: 1 } }]);
    await h.scheduler.init();
    h.scheduler.start();
    h.scheduler.setOptions("x", { b: 2 });
    h.scheduler.setOptions("x", { a: 3 });
    assert.deepEqual(h.scheduler.options("x"), { a: 3 }, "merged over the configured options, not over the previous override");
    await h.until(() => JSON.stringify(s.seen.at(-1)) === JSON.stringify({ a: 3 }), "a tick with the override");
    await h.scheduler.stop();
    await h.scheduler.stop();
    assert.equal(s.closedCount(), 1);
  });
});

describe("Scheduler: eastwest_sampler points at most once per selfIntervalMs", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("a fast sampler reports its slowest tick, any failure and running totals once per window", async () => {
    // Tick 3 waits 50 ms (the slowest), tick 5 throws; ticks are 10 ms apart, reports 100 ms apart.
    const s = fakeSampler("fast", {
      during: async (n) => {
        if (n === 3) await new Promise((r) => setTimeout(r, 50));
        if (n === 5) throw new Error("tick 5 broke");
      },
    });
    const h = harness([{ sampler: s.sampler, intervalMs: 10, options: {} }], 100);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => h.selfPoints("fast").length >= 5, "five reports", 10_000);
    await h.scheduler.stop();
    const self = h.selfPoints("fast");
    const ticks = self.map((p) => p.fields["ticks_total"] as bigint);
    const data = h.emitted.filter((p) => p.measurement === "fast").length;
    assert.equal(ticks[0], 1n, "the first tick reports at once");
    assert.ok(self.length < data / 2, `${self.length} reports for ${data} ticks: not one per tick`);
    for (let i = 1; i < self.length; i++) {
      const gapMs = Number((self[i]?.timeNs as bigint) - (self[i - 1]?.timeNs as bigint)) / 1e6;
      assert.ok(gapMs >= 95, `reports ${gapMs} ms apart`);
      assert.ok((ticks[i] as bigint) > (ticks[i - 1] as bigint), "ticks_total grows");
    }
    // The reports whose windows hold tick 3 (slow) and tick 5 (failed); later windows start afresh.
    const slow = ticks.findIndex((t) => t >= 3n);
    const failed = ticks.findIndex((t) => t >= 5n);
    assert.ok((self[slow]?.fields["duration_ns"] as bigint) >= 45_000_000n, "duration_ns is the slowest tick in the window (50 ms; a timer may fire a millisecond early)");
    assert.equal(self[failed]?.fields["up"], false, "a failed tick in the window makes up false");
    assert.equal(self[failed]?.fields["errors_total"], 1n);
    const later = self.slice(Math.max(slow, failed) + 1);
    assert.ok(later.length >= 1);
    assert.ok(later.every((p) => p.fields["up"] === true && (p.fields["duration_ns"] as bigint) < 45_000_000n), "later windows start afresh");
  });

  it("a sampler as slow as selfIntervalMs reports every tick", async () => {
    const s = fakeSampler("slow");
    const h = harness([{ sampler: s.sampler, intervalMs: 30, options: {} }], 30);
    stop = () => h.scheduler.stop();
    await h.scheduler.init();
    h.scheduler.start();
    await h.until(() => s.seen.length >= 4, "four ticks");
    await h.scheduler.stop();
    assert.deepEqual(
      h.selfPoints("slow").map((p) => p.fields["ticks_total"]),
      s.seen.map((_, i) => BigInt(i + 1)),
    );
  });
});

describe("Scheduler: wall-clock grid", () => {
  it("puts the next tick on the next multiple of the interval", async () => {
    const { untilNextGridMs } = await import("../../../agent/src/runtime/scheduler.ts");
    assert.equal(untilNextGridMs(1_000_030, 100, 1_000_000), 70, "tick started on the grid, took 30 ms");
    assert.equal(untilNextGridMs(1_000_130, 100, 1_000_000), 70, "a tick longer than the interval skips to the next grid point");
    assert.equal(untilNextGridMs(1_000_047, 100, 1_000_041), 53, "an off-grid start joins the grid");
    for (const [now, iv, start] of [[5, 1000, 0], [999_999, 7, 999_990], [123_456_789, 250, 123_456_700]] as const) {
      const d = untilNextGridMs(now, iv, start);
      assert.equal((now + d) % iv, 0, "lands on the grid");
      assert.ok(d > 0 && d <= iv);
    }
  });
});
