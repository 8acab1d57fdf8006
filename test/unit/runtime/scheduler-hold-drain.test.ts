// Holding samples, continued: failed captures, ticks during a long drain, a new hold during a drain, stop() while
// holding, hold(0) without a hold; and the hold command through handleCommand.
import assert from "node:assert/strict";
import { silentLogger } from "@eastwest/common";
import type { Command } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { MONITOR_ONLY } from "../../../agent/src/actions/policy.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { Scheduler } from "../../../agent/src/runtime/scheduler.ts";
import { BYTES, assertIncreasing, ns, of, range, settle, started, waitFor } from "./hold-helpers.ts";

describe("Scheduler: hold (errors, drains, stop)", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("a capture that throws is an error tick at once, and nothing is held for it", async () => {
    const { split, h } = await started({ split: { captureFails: (n) => n === 2 }, holdFirstMs: 60_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => split.calls.captures >= 4, "four captures");
    await settle();
    const captures = split.calls.captures;
    assert.deepEqual(h.scheduler.holdState(), { holding: true, heldTicks: captures - 1, heldBytes: (captures - 1) * BYTES });
    const failed = h.selfPoints("split");
    assert.equal(failed.length, 1, "the failed tick is reported while the others are held");
    assert.equal(failed[0]?.fields["up"], false);
    assert.equal(failed[0]?.fields["errors_total"], 1n);
    assert.equal(failed[0]?.timeNs, split.captureNs[1], "stamped with the failed tick's time");
    assert.equal(h.scheduler.states()[0]?.lastError, "split capture 2 broke");

    h.scheduler.hold(0);
    await waitFor(() => h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length >= captures - 1, "held captures decoded");
    const n = ns(of(h.emitted, "split"));
    assert.deepEqual(n.slice(0, captures - 1), [1, ...range(3, captures)], "capture 2 is not decoded");
    const state = h.scheduler.states()[0];
    assert.equal(state?.errors, 1n);
    assert.ok((state?.ticks ?? 0n) >= BigInt(captures), "the failed tick counts as a tick");
    const last = h.selfPoints("split").at(-1);
    assert.equal(last?.fields["errors_total"], 1n);
    assert.equal(last?.fields["ticks_total"], state?.ticks);
  });

  it("ticks during a long drain are captured and decoded after the backlog: none lost, in order, one decode at a time", async () => {
    // Decodes take 5 ms, ticks come every 10 ms: draining 12 held captures takes several ticks.
    const { split, h } = await started({ split: { decodeDelayMs: 5 }, holdFirstMs: 60_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => split.calls.captures >= 12, "twelve held captures");
    h.scheduler.hold(0);
    await waitFor(() => split.calls.samples >= 3, "ticks sampling as usual after the drain", 10_000);
    await waitFor(() => split.calls.decoding === 0 && of(h.emitted, "split").length === split.calls.captures, "no decode in flight", 10_000);

    assert.ok(split.calls.capturedWhileDecoding >= 1, "some tick captured while the backlog was decoded");
    assert.equal(split.calls.maxDecoding, 1, "never two decodes at once (nor a sample during a decode)");
    const points = of(h.emitted, "split");
    assert.deepEqual(ns(points), range(1, split.calls.captures), "every tick decoded once, in tick order");
    assert.deepEqual(split.decoded, range(1, split.calls.captures));
    assert.deepEqual(
      points.map((p) => p.timeNs),
      split.captureNs,
    );
    assertIncreasing(
      points.map((p) => p.timeNs),
      "split points",
    );
    assert.equal(h.scheduler.states()[0]?.ticks, BigInt(split.calls.captures), "every tick counted");
    assert.deepEqual(h.scheduler.holdState(), { holding: false, heldTicks: 0, heldBytes: 0 });
  });

  it("a new hold pauses the decoding of the last one; its end resumes it, all in tick order", async () => {
    const { split, h } = await started({ split: { decodeDelayMs: 5 }, holdFirstMs: 60_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => split.calls.captures >= 12, "twelve held captures");
    h.scheduler.hold(0);
    await waitFor(() => split.decoded.length >= 2, "the decoding started");
    h.scheduler.hold(60_000);
    await settle();
    const decodedAtHold = split.decoded.length;
    const capturesAtHold = split.calls.captures;
    await waitFor(() => split.calls.captures >= capturesAtHold + 3, "three more held captures");
    assert.ok(split.decoded.length <= decodedAtHold + 1, `decoding paused while held again (${decodedAtHold} -> ${split.decoded.length})`);
    assert.ok(h.scheduler.holdState().heldTicks > 3, "the rest of the first hold is still held");
    h.scheduler.hold(0);
    await waitFor(() => split.calls.decoding === 0 && h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length === split.calls.captures, "everything decoded", 10_000);
    assert.deepEqual(split.decoded, range(1, split.calls.captures), "every tick decoded once, in tick order");
  });

  it("stop() while holding decodes and emits what was held before it resolves, then closes", async () => {
    const { split, h } = await started({ holdFirstMs: 60_000 });
    await waitFor(() => split.calls.captures >= 3, "three held captures");
    await settle();
    const captures = split.calls.captures;
    assert.equal(of(h.emitted, "split").length, 0);
    await h.scheduler.stop();
    assert.deepEqual(ns(of(h.emitted, "split")), range(1, captures), "all held captures emitted by the time stop resolves");
    assert.deepEqual(h.scheduler.holdState(), { holding: false, heldTicks: 0, heldBytes: 0 });
    assert.deepEqual(split.events, [...range(1, captures).map(() => "decode"), "close"], "decoded before the sampler is closed");
    assert.deepEqual(h.scheduler.hold(5000), { holding: false, heldTicks: 0, heldBytes: 0 }, "a stopped scheduler does not hold");
  });

  it("hold(0) without a hold is harmless", async () => {
    const { split, h } = await started({ start: false });
    stop = () => h.scheduler.stop();
    assert.deepEqual(h.scheduler.hold(0), { holding: false, heldTicks: 0, heldBytes: 0 });
    h.scheduler.start();
    await h.until(() => of(h.emitted, "split").length >= 2, "two ticks");
    assert.deepEqual(h.scheduler.hold(0), { holding: false, heldTicks: 0, heldBytes: 0 });
    await h.until(() => of(h.emitted, "split").length >= 4, "two more ticks");
    await settle();
    assert.equal(split.calls.captures, split.calls.samples, "every tick sampled as usual");
    assert.deepEqual(ns(of(h.emitted, "split")), range(1, of(h.emitted, "split").length));
  });
});

describe("hold command", () => {
  const noExec: Exec = async (file) => {
    throw new Error(`unexpected exec of ${file}`);
  };
  const deps = (scheduler: Scheduler | undefined): CommandDeps => ({ policy: { ...MONITOR_ONLY, hold: true }, scheduler, logger: silentLogger(), exec: noExec, fs: hostFs(), calibrate: async () => undefined });
  const hold = (forMs: number): Command => ({ id: "h1", deadlineMs: 0, kind: { $case: "hold", value: { forMs } } });

  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("holds and releases through handleCommand, answering {holding, held_ticks, held_bytes}", async () => {
    const { split, h } = await started({ start: false });
    stop = () => h.scheduler.stop();
    let r = await handleCommand(hold(60_000), deps(h.scheduler));
    assert.equal(r.ok, true, r.error);
    assert.equal(r.id, "h1");
    assert.deepEqual(JSON.parse(r.json), { holding: true, held_ticks: 0, held_bytes: 0 });
    h.scheduler.start();
    await waitFor(() => split.calls.captures >= 3, "three held captures");
    await settle();
    const captures = split.calls.captures;
    r = await handleCommand(hold(60_000), deps(h.scheduler));
    assert.deepEqual(JSON.parse(r.json), { holding: true, held_ticks: captures, held_bytes: captures * BYTES }, "extending reports what is held");
    r = await handleCommand(hold(0), deps(h.scheduler));
    assert.equal(r.ok, true, r.error);
    const released = JSON.parse(r.json) as { holding: boolean; held_ticks: number; held_bytes: number };
    assert.equal(released.holding, false);
    assert.equal(released.held_bytes, released.held_ticks * BYTES);
    await waitFor(() => h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length >= captures, "held captures decoded");
    assert.deepEqual(ns(of(h.emitted, "split")).slice(0, captures), range(1, captures));
  });

  it("fails clearly without a scheduler", async () => {
    const r = await handleCommand(hold(5000), deps(undefined));
    assert.equal(r.ok, false);
    assert.equal(r.error, "no samplers are running");
    assert.equal(r.json, "");
  });
});
