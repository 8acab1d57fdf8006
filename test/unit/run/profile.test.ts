// A run's measured terms from profile documents (as agents answer collectProfile), and the breakdown that uses them.
import assert from "node:assert/strict";
import fc from "fast-check";
import { endProfile, measuredTerms, readProfileDoc, type EndInput } from "../../../collector/src/run/profile.ts";
import { profileLines } from "../../../collector/src/run/profile-format.ts";
import { breakdown } from "../../../collector/src/model/breakdown.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/constants.ts";
import { formatBreakdown } from "../../../collector/src/model/format.ts";

const DOC = {
  available: true, event: "cpu-clock", frequencyHz: 199, callGraph: true, periodNs: 5_000_000, startNs: "1000", endNs: "2000", totalSamples: 1000,
  terms: { copies: 100, stack: 200, other: 700 },
  processes: [
    { pid: 10, comm: "iperf3", samples: 200, terms: { copies: 60, syscalls: 20, softirq: 40, stack: 60, other: 20 } },
    { pid: 11, comm: "iperf3", samples: 100, terms: { copies: 40, stack: 40, other: 20 } },
  ],
  perfOverheadPct: 0.2,
};

const end = (pid: number | null, result: EndInput["result"] = { doc: DOC }, role: "sender" | "receiver" = "sender"): EndInput => ({ side: role === "sender" ? "client" : "server", role, agentId: "a", profiledBy: "a", result, pid });

describe("run profile: measured terms", () => {
  it("us per packet = samples x period / packets, per end; explained share", () => {
    const e = endProfile(end(10), 1000);
    assert.equal(e.status, "measured");
    assert.equal(e.us_per_packet.copies, (60 * 5_000_000) / 1000 / 1000, "300 us of copies over 1000 packets");
    assert.equal(e.cpu_us_per_packet, 1000);
    assert.equal(e.explained_fraction, 0.9);
    const m = measuredTerms([e, endProfile(end(11, { doc: DOC }, "receiver"), 1000)]);
    assert.ok(m);
    assert.equal(m.us.copies, 300 + 200);
    assert.equal(m.cpu_per_packet_us, 1500);
    assert.match(m.source, /^perf cpu-clock at 199 Hz, sender \+ receiver$/);
  });

  it("each missing piece is 'unavailable: <reason>', and no end measured means no measured terms", () => {
    assert.equal(endProfile(end(10, { reason: "unavailable: perf not found (install linux-perf)" }), 1000).status, "unavailable: perf not found (install linux-perf)");
    assert.equal(endProfile(end(10, { doc: { available: false, reason: "unavailable: perf_event_paranoid is 2: ..." } }), 1000).status, "unavailable: perf_event_paranoid is 2: ...");
    assert.match(endProfile(end(null), 1000).status, /^unavailable: the iperf3 result did not give its pid/);
    assert.match(endProfile(end(99), 1000).status, /^unavailable: iperf3 \(pid 99\) has no samples/);
    assert.match(endProfile(end(10), 0).status, /^unavailable: no packets moved/);
    assert.match(endProfile(end(10, { doc: { available: true, periodNs: "x" } }), 10).status, /^unavailable: profile result lacks/);
    assert.equal(measuredTerms([endProfile(end(null), 1000)]), undefined);
    const lines = profileLines({ ends: [endProfile(end(null), 1000)], machines: [] });
    assert.ok(lines.some((l) => /sender a: unavailable: the iperf3 result/.test(l)));
    assert.ok(lines.some((l) => /keeps the model's counts/.test(l)));
  });

  it("the breakdown shows measured copies and syscalls, extra rows, and the unexplained share of the CPU time", () => {
    const b = breakdown(PAPER_CONSTANTS, { bytes_per_s: 1e9, bytes_per_packet: 65_536, measured: { us: { copies: 5.1, syscalls: 1, softirq: 2, stack: 3 }, cpu_per_packet_us: 12, source: "perf cpu-clock" } });
    const copies = b.terms.find((t) => t.term === "copies");
    assert.equal(copies?.source, "measured");
    assert.equal(copies?.total_us, 5.1);
    assert.match(copies?.reason ?? "", /^measured 5.1 us \(perf cpu-clock\)/);
    assert.deepEqual(b.measured_terms.map((r) => r.term), ["softirq", "stack"]);
    assert.equal(b.unexplained_basis, "cpu_time");
    assert.ok(Math.abs((b.unexplained_us ?? 0) - (12 - 5.1 - 1 - 2 - 3)) < 1e-9);
    assert.match(formatBreakdown(b), /copies .* measured .* 5\.1 us/);
    assert.match(formatBreakdown(b), /of the CPU time per packet: what no term covers/);
    const plain = breakdown(PAPER_CONSTANTS, { bytes_per_s: 1e9, bytes_per_packet: 65_536 });
    assert.equal(plain.unexplained_basis, "wall_time");
    assert.equal(plain.terms.find((t) => t.term === "copies")?.source, "model", "without a profile the model's count stays");
  });

  it("property: any JSON-ish document never throws and never yields a non-finite figure", () => {
    const anyDoc = fc.oneof(fc.anything(), fc.record({ available: fc.constant(true), frequencyHz: fc.anything(), periodNs: fc.oneof(fc.double(), fc.integer()), startNs: fc.constant("1"), endNs: fc.constant("2"), totalSamples: fc.integer(), processes: fc.array(fc.record({ pid: fc.constant(10), samples: fc.oneof(fc.double(), fc.nat()), terms: fc.dictionary(fc.constantFrom("copies", "stack", "idle", "x"), fc.oneof(fc.double(), fc.nat())) })) }));
    fc.assert(
      fc.property(anyDoc, fc.oneof(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom(0, 1e-300, Number.POSITIVE_INFINITY)), (doc, packets) => {
        readProfileDoc(doc);
        const e = endProfile(end(10, { doc }), packets);
        for (const v of [e.cpu_us_per_packet, e.explained_us, ...Object.values(e.us_per_packet)]) if (v !== null && v !== undefined) assert.ok(Number.isFinite(v), String(v));
      }),
    );
  });
});
