import assert from "node:assert/strict";
import { breakdown, PAPER_CONSTANTS, type ModelConstants } from "../../../collector/src/model/cost-model.ts";
import { formatBreakdown } from "../../../collector/src/model/format.ts";

const paper = (): ModelConstants => ({ ...PAPER_CONSTANTS });
/** 41 Gbit/s of full 64 KiB packets. */
const PPS_41 = 41e9 / 8 / 65_536;

describe("breakdown", () => {
  it("compares model terms with 1 / measured packets/s and reports the remainder", () => {
    const b = breakdown(paper(), { packets_per_s: PPS_41, exits_per_packet: 4, syscalls_per_packet: 2, copies_per_packet: 4 });
    assert.equal(b.measured_per_packet_us?.toFixed(2), "12.79");
    assert.equal(b.model_per_packet_us.toFixed(1), "7.8");
    assert.equal(b.unexplained_us?.toFixed(2), "4.99");
    assert.equal(b.fit, "remainder");
    assert.equal(b.unexplained_fraction?.toFixed(2), "0.39");
    assert.deepEqual(b.terms.map((t) => t.source), ["observed", "observed", "observed"]);
    assert.equal(b.model_version, "1");
    assert.deepEqual(b.constants, paper());
    assert.match(formatBreakdown(b), /^unexplained\s+4\.99 us \(39 % of measured\)$/m);
  });

  it("reports a missing exit source as a 0 term with the reason", () => {
    const b = breakdown(paper(), { packets_per_s: PPS_41 });
    const exits = b.terms[2];
    assert.equal(exits?.term, "exits");
    assert.equal(exits?.count, 0);
    assert.equal(exits?.total_us, 0);
    assert.equal(exits?.source, "none");
    assert.match(exits?.reason ?? "", /^no exit source: /);
    const named = breakdown(paper(), { packets_per_s: PPS_41, exit_source: "debugfs locked (lockdown)" });
    assert.equal(named.terms[2]?.reason, "no exit source: debugfs locked (lockdown)");
    assert.match(formatBreakdown(named), /^note: exits: no exit source: debugfs locked \(lockdown\)$/m);
  });

  it("uses the model's counts for unobserved syscalls and copies, and says so", () => {
    const b = breakdown(paper(), { packets_per_s: PPS_41, exits_per_packet: 4 });
    assert.equal(b.terms[0]?.source, "model");
    assert.equal(b.terms[0]?.count, 4);
    assert.match(b.terms[0]?.reason ?? "", /copies per packet not observed/);
    assert.equal(b.terms[1]?.source, "model");
    assert.match(b.terms[1]?.reason ?? "", /syscalls per packet not observed: model count 2/);
  });

  it("takes copies from bytes moved per payload byte", () => {
    const b = breakdown(paper(), { packets_per_s: PPS_41, bytes_moved_per_payload_byte: 3 });
    assert.equal(b.terms[0]?.count, 3);
    assert.equal(b.terms[0]?.source, "observed");
    assert.equal(b.terms[0]?.total_us.toFixed(1), "3.6");
  });

  it("says when the model over-predicts, with the negative remainder", () => {
    const b = breakdown(paper(), { packets_per_s: 200_000, exits_per_packet: 4 });
    assert.equal(b.measured_per_packet_us, 5);
    assert.equal(b.unexplained_us?.toFixed(1), "-2.8");
    assert.equal(b.fit, "over_predicts");
    assert.match(formatBreakdown(b), /^unexplained\s+-2\.8 us \(-56 % of measured\): the model over-predicts by 2\.8 us$/m);
  });

  it("derives the packet rate from bytes/s and bytes per packet, pricing copies at that size", () => {
    const b = breakdown({ ...paper(), copy_us: null }, { bytes_per_s: 1e9, bytes_per_packet: 1000, exits_per_packet: 1 });
    assert.equal(b.measured_packets_per_s, 1e6);
    assert.equal(b.measured_per_packet_us, 1);
    assert.equal(b.bytes_per_packet, 1000);
    assert.equal(b.terms[0]?.unit_us.toFixed(4), (1000 / 52e9 * 1e6).toFixed(4));
  });

  it("scales a stated copy_us to the observed packet size", () => {
    const b = breakdown(paper(), { packets_per_s: 1e5, bytes_per_packet: 32_768 });
    assert.equal(b.terms[0]?.unit_us.toFixed(2), "0.60");
  });

  it("has no measured time without a usable rate, and names why", () => {
    for (const obs of [{}, { packets_per_s: 0 }, { packets_per_s: -5 }, { bytes_per_s: 1e9 }, { packets_per_s: Number.NaN }]) {
      const b = breakdown(paper(), obs);
      assert.equal(b.measured_per_packet_us, null);
      assert.equal(b.unexplained_us, null);
      assert.equal(b.fit, "unmeasured");
      assert.equal(b.notes.length, 1, JSON.stringify(obs));
      assert.match(formatBreakdown(b), /^unexplained\s+n\/a/m);
    }
  });

  it("names unusable observed counts and falls back", () => {
    const b = breakdown(paper(), { packets_per_s: PPS_41, exits_per_packet: -1, syscalls_per_packet: Number.POSITIVE_INFINITY });
    assert.equal(b.terms[2]?.count, 0);
    assert.match(b.terms[2]?.reason ?? "", /exits_per_packet -1 is not usable; no exit source/);
    assert.equal(b.terms[1]?.count, 2);
    assert.match(b.terms[1]?.reason ?? "", /syscalls_per_packet Infinity is not usable/);
  });
});
