// Holding samples (Scheduler.hold): splittable samplers only capture while held; the captures are decoded in tick
// order when the hold ends (hold(0), its time, its memory limit, stop), with their tick's time.
import assert from "node:assert/strict";
import { BYTES, assertIncreasing, ns, of, range, settle, started, waitFor } from "./hold-helpers.ts";

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
});
