import assert from "node:assert/strict";
import { RateMemory, perSecond } from "../../../agent/src/samplers/shared/rates.ts";
import { interfaceFilter, intOption } from "../../../agent/src/samplers/shared/options.ts";
import { mapLimit } from "../../../agent/src/samplers/shared/sources.ts";
import { point } from "../../../agent/src/samplers/shared/points.ts";
import { SECOND, T0, ctx, liveFs } from "./helpers.ts";

describe("samplers/shared: RateMemory", () => {
  it("no interval on a series' first tick, then deltas and rates", () => {
    const m = new RateMemory(64);
    assert.equal(m.step("a", T0, { x: 10n }), undefined);
    const i = m.step("a", T0 + 2n * SECOND, { x: 30n, y: 1n });
    assert.deepEqual(i, { dtNs: 2n * SECOND, deltas: { x: 20n } });
    assert.equal(perSecond(i, "x"), 10);
    assert.equal(perSecond(i, "y"), undefined);
  });

  it("omits a counter that reset; no interval when the clock steps back", () => {
    const m = new RateMemory(64);
    m.step("a", T0, { x: 10n, y: 5n });
    assert.deepEqual(m.step("a", T0 + SECOND, { x: 3n, y: 6n })?.deltas, { y: 1n });
    assert.equal(m.step("a", T0, { x: 4n, y: 7n }), undefined);
  });

  it("sweep forgets series not seen since the last sweep", () => {
    const m = new RateMemory(32);
    m.step("gone", T0, { x: 1n });
    m.step("kept", T0, { x: 1n });
    m.sweep();
    m.step("kept", T0 + SECOND, { x: 2n });
    m.sweep();
    assert.equal(m.size, 1);
    assert.equal(m.step("gone", T0 + 2n * SECOND, { x: 9n }), undefined);
  });

  it("keep: a tick that missed a series keeps its state; the next point has a rate over the longer interval", () => {
    const m = new RateMemory(64);
    m.step("7 vm", T0, { exits: 100n });
    m.step("7 vcpu 0", T0, { exits: 60n });
    m.step("70 vm", T0, { exits: 5n });
    m.sweep();
    // tick 2: the reads of guest 7 failed (QMP late), its process is still there; guest 70 is gone
    m.keep("7 ");
    m.sweep();
    assert.equal(m.size, 2, "guest 7's series kept, guest 70's forgotten");
    const i = m.step("7 vm", T0 + 2n * SECOND, { exits: 700n });
    assert.deepEqual(i, { dtNs: 2n * SECOND, deltas: { exits: 600n } });
    assert.equal(perSecond(i, "exits"), 300);
    assert.equal(m.step("70 vm", T0 + 2n * SECOND, { exits: 9n }), undefined);
  });
});

describe("samplers/shared: options", () => {
  it("interfaces: exact names and whole-name /regex/", () => {
    const f = interfaceFilter({ interfaces: ["eth0", "/tap[0-9]+|vnet.*/"] });
    assert.deepEqual(f.problems, []);
    assert.deepEqual(["eth0", "eth0.1", "tap3", "xtap3", "vnet12", "lo"].map((n) => f.value?.(n)), [true, false, true, false, true, false]);
    assert.equal(interfaceFilter({}).value, undefined);
    assert.equal(interfaceFilter({ interfaces: [] }).problems.length, 1);
    assert.equal(interfaceFilter({ interfaces: "eth0" }).problems.length, 1);
  });

  it("intOption bounds", () => {
    assert.deepEqual(intOption({ n: 5 }, "n", 1, 1, 10), { value: 5, problems: [] });
    assert.equal(intOption({ n: 5.5 }, "n", 1, 1, 10).problems.length, 1);
    assert.equal(intOption({ n: 11 }, "n", 1, 1, 10).value, 1);
  });
});

describe("samplers/shared: points and mapLimit", () => {
  it("a point carries base tags, own tags and the tick time; no point without fields", () => {
    const c = ctx(liveFs(0), T0);
    assert.deepEqual(point(c, "m", { cpu: "all" }, { x: 1 }), {
      measurement: "m",
      tags: { agent_id: "test-agent", host: "test-host", netns: "test-ns", cpu: "all" },
      fields: { x: 1 },
      timeNs: T0,
    });
    assert.equal(point(c, "m", {}, {}), undefined);
  });

  it("mapLimit keeps order and bounds concurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => setImmediate(resolve));
      inFlight--;
      return n * 2;
    });
    assert.deepEqual(out, [2, 4, 6, 8, 10, 12, 14]);
    assert.equal(peak, 3);
  });
});
