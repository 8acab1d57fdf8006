import assert from "node:assert/strict";
import { ParseError } from "@eastwest/common";
import { parseSoftirqs } from "../../../agent/src/samplers/softirqs/softirqs.parse.ts";
import { softirqsSampler } from "../../../agent/src/samplers/softirqs/softirqs.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, liveFs, mapFs, pointWith } from "./helpers.ts";

/** Counts of one softirq row read straight from the fixture text. */
function fixtureRow(text: string, name: string): bigint[] {
  const line = text.split("\n").find((l) => l.trim().startsWith(`${name}:`)) ?? "";
  return line.split(":")[1]?.trim().split(/\s+/).map(BigInt) ?? [];
}

describe("softirqs: parseSoftirqs", () => {
  it("parses every row of the live capture", () => {
    const text = fixture("proc", "live-t0", "softirqs");
    const s = parseSoftirqs(text);
    assert.deepEqual(s.cpus, ["cpu0", "cpu1"]);
    assert.deepEqual(s.rows.map((r) => r.name), ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"]);
    assert.deepEqual(s.rows.find((r) => r.name === "NET_RX")?.counts, [892218n, 821782n]);
    assert.deepEqual(s.rows.find((r) => r.name === "SCHED")?.counts, fixtureRow(text, "SCHED"));
    assert.deepEqual(s.errors, []);
  });

  it("reports a truncated last row and keeps the rest", () => {
    const s = parseSoftirqs(fixture("proc", "variants", "softirqs-truncated"));
    assert.equal(s.rows.length, 9);
    assert.match(s.errors[0] ?? "", /RCU: 1 values for 2 cpus/);
  });

  it("throws ParseError without a CPU header", () => {
    assert.throws(() => parseSoftirqs(fixture("proc", "variants", "softirqs-garbage")), ParseError);
    assert.throws(() => parseSoftirqs(""), ParseError);
  });
});

describe("softirqs: sampler", () => {
  it("emits per-cpu totals, then NET_RX / NET_TX rates", async () => {
    const s = softirqsSampler();
    const first = await s.sample(ctx(liveFs(0), T0));
    const cpu1 = pointWith(first.points, "softirqs", "cpu", "cpu1");
    assert.equal(cpu1.fields["net_rx_total"], 821782n);
    assert.equal(cpu1.fields["net_rx_per_s"], undefined);
    const second = await s.sample(ctx(liveFs(1), T0 + SECOND));
    assert.equal(pointWith(second.points, "softirqs", "cpu", "cpu0").fields["net_rx_per_s"], 998089 - 892218);
    assert.equal(pointWith(second.points, "softirqs", "cpu", "cpu1").fields["net_tx_per_s"], 0);
    assert.ok(allFinite(second.points));
  });

  it("follows a 32-bit wrap of a per-cpu count", async () => {
    const s = softirqsSampler();
    const file = (n: bigint) => ({ softirqs: `   CPU0\n NET_RX: ${n}\n` });
    await s.sample(ctx(mapFs(file(4294967000n)), T0));
    const r = await s.sample(ctx(mapFs(file(704n)), T0 + SECOND));
    assert.equal(pointWith(r.points, "softirqs", "cpu", "cpu0").fields["net_rx_per_s"], 296 + 704);
  });
});
