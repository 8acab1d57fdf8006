import assert from "node:assert/strict";
import { ParseError } from "@eastwest/common";
import { parseSoftnet } from "../../../agent/src/samplers/softnet/softnet.parse.ts";
import { softnetSampler } from "../../../agent/src/samplers/softnet/softnet.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, liveFs, mapFs, pointWith } from "./helpers.ts";

describe("softnet: parseSoftnet", () => {
  it("parses the live capture (15 columns, cpu id in column 13)", () => {
    const text = fixture("proc", "live-t0", "net", "softnet_stat");
    const s = parseSoftnet(text);
    assert.equal(s.columns, 15);
    assert.deepEqual(s.rows.map((r) => r.cpu), [0, 1]);
    assert.equal(s.rows[0]?.processed, BigInt(`0x${text.slice(0, 8)}`));
    assert.equal(s.rows[1]?.processed, 0xca79fn);
    assert.equal(s.rows[1]?.backlog_len, 0n);
    assert.deepEqual(s.errors, []);
  });

  it("parses kernel 4.4's 11 columns: cpu is the row index, no backlog_len", () => {
    const s = parseSoftnet(fixture("proc", "variants", "net", "softnet_stat-4.4"));
    assert.equal(s.columns, 11);
    assert.deepEqual(s.rows.map((r) => r.cpu), [0, 1, 2]);
    assert.equal(s.rows[1]?.dropped, 3n);
    assert.equal(s.rows[1]?.time_squeeze, 0x21n);
    assert.equal(s.rows[2]?.received_rps, 4n);
    assert.equal(s.rows[2]?.flow_limit_count, 2n);
    assert.equal(s.rows[0]?.backlog_len, undefined);
  });

  it("parses 5.10's 13 columns: the cpu id column wins over the row index", () => {
    const s = parseSoftnet(fixture("proc", "variants", "net", "softnet_stat-5.10"));
    assert.deepEqual(s.rows.map((r) => r.cpu), [0, 2]);
    assert.equal(s.rows[1]?.backlog_len, 3n);
    assert.equal(s.rows[1]?.received_rps, 7n);
  });

  it("reports a truncated row; throws on garbage", () => {
    const s = parseSoftnet(fixture("proc", "variants", "net", "softnet_stat-truncated"));
    assert.equal(s.rows.length, 1);
    assert.match(s.errors[0] ?? "", /row 1: truncated \(4 of 15 columns\)/);
    assert.throws(() => parseSoftnet(fixture("proc", "variants", "net", "softnet_stat-garbage")), ParseError);
    assert.throws(() => parseSoftnet(""), ParseError);
  });
});

describe("softnet: sampler", () => {
  it("emits per-cpu totals, then processed / dropped / squeeze rates", async () => {
    const s = softnetSampler();
    const first = await s.sample(ctx(liveFs(0), T0));
    assert.equal(pointWith(first.points, "softnet", "cpu", "cpu0").fields["processed_total"], 0xdb2edn);
    const second = await s.sample(ctx(liveFs(1), T0 + SECOND));
    const cpu1 = pointWith(second.points, "softnet", "cpu", "cpu1");
    assert.equal(cpu1.fields["processed_per_s"], 0xdafa7 - 0xca79f);
    assert.equal(cpu1.fields["dropped_per_s"], 0);
    assert.ok(allFinite(second.points));
  });

  it("follows a 32-bit wrap of processed (4.4 layout)", async () => {
    const s = softnetSampler();
    const base = fixture("proc", "variants", "net", "softnet_stat-4.4");
    await s.sample(ctx(mapFs({ "net/softnet_stat": base }), T0));
    const wrapped = base.replace(/^ffffff00/m, "00000100");
    const r = await s.sample(ctx(mapFs({ "net/softnet_stat": wrapped }), T0 + SECOND));
    assert.equal(pointWith(r.points, "softnet", "cpu", "cpu2").fields["processed_per_s"], 0x100 + 0x100);
  });
});
