// Holding samples (Scheduler.hold): splittable samplers only capture while held; the captures are decoded in tick
// order when the hold ends (hold(0), its time, its memory limit, stop), with their tick's time.
import assert from "node:assert/strict";
import { silentLogger, type Sample } from "@eastwest/common";
import type { Command } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { HoldLimits, Scheduler } from "../../../agent/src/runtime/scheduler.ts";
import { fakeSampler, harness, splitSampler } from "./fakes.ts";

const BYTES = 100;

/** Lets pending ticks finish (the fakes settle in microtasks). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Polls `pred` every 2 ms until true; rejects after timeoutMs naming `what`. */
async function waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const of = (emitted: readonly Sample[], name: string): Sample[] => emitted.filter((p) => p.measurement === name);
const ns = (points: readonly Sample[]): number[] => points.map((p) => Number(p.fields["n"]));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function assertIncreasing(times: readonly bigint[], what: string): void {
  for (let i = 1; i < times.length; i++) assert.ok((times[i] as bigint) > (times[i - 1] as bigint), `${what}: time ${i} not after time ${i - 1}`);
}

/** A started scheduler with one splittable sampler "split" (and optionally a plain one), ticking every 10 ms. */
async function started(opts: { split?: Parameters<typeof splitSampler>[1]; plain?: boolean; hold?: HoldLimits; holdFirstMs?: number; start?: boolean } = {}) {
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

describe("Scheduler: hold", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("while held, a splittable sampler only captures and a sampler that cannot split keeps emitting", async () => {
    const { split, plain, h } = await started({ plain: true });
    stop = () => h.scheduler.stop();
    await h.until(() => of(h.emitted, "split").length >= 1, "a split tick sampled as usual");
    assert.deepEqual(h.scheduler.holdState(), { holding: false, heldTicks: 0, heldBytes: 0 });

    const capturedBefore = split.calls.captures;
    assert.deepEqual(h.scheduler.hold(60_000), { holding: true, heldTicks: 0, heldBytes: 0 });
    await settle();
    const decodes = split.calls.decodes;
    const splitPoints = of(h.emitted, "split").length;
    const splitSelf = h.selfPoints("split").length;
    const splitTicks = h.scheduler.states()[0]?.ticks;
    const plainPoints = of(h.emitted, "plain").length;
    const first = h.scheduler.holdState();

    await waitFor(() => split.calls.captures >= capturedBefore + 4 && of(h.emitted, "plain").length >= plainPoints + 4, "four held captures and four plain ticks");
    await settle();
    const later = h.scheduler.holdState();
    assert.equal(split.calls.decodes, decodes, "no decode while held");
    assert.equal(of(h.emitted, "split").length, splitPoints, "no split point while held");
    assert.equal(h.selfPoints("split").length, splitSelf, "no split self point while held");
    assert.equal(h.scheduler.states()[0]?.ticks, splitTicks, "held ticks are not counted before they are decoded");
    assert.ok(of(h.emitted, "plain").length >= plainPoints + 4, "the plain sampler keeps emitting");
    assert.ok(h.selfPoints("plain").length >= 4);
    assert.equal(later.holding, true);
    assert.equal(later.heldTicks, split.calls.captures - capturedBefore, "every capture since the hold is held");
    assert.ok(later.heldTicks >= first.heldTicks + 4, `held ticks ${first.heldTicks} -> ${later.heldTicks}`);
    assert.equal(later.heldBytes, later.heldTicks * BYTES);
    assert.ok(later.heldBytes > first.heldBytes);
  });

  it("hold(0) decodes every held capture once, in tick order, with its tick's time, and counts the ticks", async () => {
    const { split, h } = await started({ holdFirstMs: 60_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => split.calls.captures >= 6, "six held captures");
    await settle();
    const held = split.calls.captures;
    assert.equal(split.calls.decodes, 0);
    assert.deepEqual(h.scheduler.holdState(), { holding: true, heldTicks: held, heldBytes: held * BYTES });

    const released = h.scheduler.hold(0);
    assert.equal(released.holding, false);
    assert.equal(released.heldBytes, released.heldTicks * BYTES, `captures not yet decoded count in ticks and bytes alike: ${JSON.stringify(released)}`);
    await waitFor(() => h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length >= held + 2, "the held captures decoded, then two live ticks");
    await settle();
    assert.deepEqual(h.scheduler.holdState(), { holding: false, heldTicks: 0, heldBytes: 0 });

    const points = of(h.emitted, "split");
    assert.deepEqual(ns(points), range(1, points.length), "each capture decoded once, in tick order");
    assert.deepEqual(split.decoded.slice(0, points.length), range(1, points.length));
    assert.deepEqual(
      points.map((p) => p.timeNs),
      split.captureNs.slice(0, points.length),
      "each point has its tick's time",
    );
    assertIncreasing(
      points.map((p) => p.timeNs),
      "split points",
    );
    assert.equal(split.calls.samples >= 2, true, "after the release, ticks sample as usual");
    // The eastwest_sampler points: one per tick (selfIntervalMs 0), counting the ticks and stamped like them.
    const self = h.selfPoints("split").slice(0, points.length);
    assert.deepEqual(
      self.map((p) => p.fields["ticks_total"]),
      range(1, points.length).map(BigInt),
    );
    assert.deepEqual(
      self.map((p) => p.timeNs),
      points.map((p) => p.timeNs),
    );
    assert.ok(self.every((p) => p.fields["up"] === true && p.fields["errors_total"] === 0n && p.fields["points_total"] === p.fields["ticks_total"]));
  });

  it("a hold ends by itself after forMs; a later hold extends it", async () => {
    const { split, h } = await started({ holdFirstMs: 30 });
    stop = () => h.scheduler.stop();
    await waitFor(() => !h.scheduler.holdState().holding, "the hold to end");
    await waitFor(() => h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length >= 2, "held captures decoded");
    const points = of(h.emitted, "split");
    assert.deepEqual(ns(points), range(1, points.length));
    assert.ok(split.calls.captures > split.calls.samples, "some ticks only captured");

    // Extending: hold(20) then hold(60 s) holds past 20 ms.
    assert.equal(h.scheduler.hold(20).holding, true);
    assert.equal(h.scheduler.hold(60_000).holding, true);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(h.scheduler.holdState().holding, true, "the later, longer hold replaced the first one's end");
    assert.ok(h.scheduler.holdState().heldTicks >= 1);
  });

  it("forMs above limits.maxMs is capped at maxMs", async () => {
    const { split, h } = await started({ hold: { maxBytes: 1 << 30, maxMs: 30 }, holdFirstMs: 3_600_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => !h.scheduler.holdState().holding, "the hold to end at maxMs", 3000);
    await waitFor(() => h.scheduler.holdState().heldTicks === 0 && of(h.emitted, "split").length >= 1, "held captures decoded");
    assert.deepEqual(ns(of(h.emitted, "split")), range(1, of(h.emitted, "split").length));
    assert.ok(split.calls.captures > split.calls.samples, "the first ticks only captured");
  });

  it("exceeding limits.maxBytes ends the hold early and decodes what was held", async () => {
    // 100 bytes a capture: the 4th brings 400 > 350.
    const { split, h } = await started({ hold: { maxBytes: 350, maxMs: 60_000 }, holdFirstMs: 60_000 });
    stop = () => h.scheduler.stop();
    await waitFor(() => !h.scheduler.holdState().holding, "the hold to end at maxBytes");
    await waitFor(() => of(h.emitted, "split").length >= 6, "the held captures decoded and two live ticks");
    await settle();
    assert.equal(split.calls.captures - split.calls.samples, 4, "four ticks only captured, then the hold ended");
    assert.deepEqual(ns(of(h.emitted, "split")), range(1, of(h.emitted, "split").length));
    assert.deepEqual(split.decoded.slice(0, 4), [1, 2, 3, 4]);
    assert.deepEqual(h.scheduler.holdState(), { holding: false, heldTicks: 0, heldBytes: 0 });
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
  const deps = (scheduler: Scheduler | undefined): CommandDeps => ({ scheduler, logger: silentLogger(), exec: noExec, fs: hostFs(), calibrate: async () => undefined });
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
