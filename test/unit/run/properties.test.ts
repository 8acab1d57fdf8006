import assert from "node:assert/strict";
import fc from "fast-check";
import { toJson } from "@eastwest/common";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { correlate } from "../../../collector/src/run/correlate.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import { runPoints } from "../../../collector/src/run/points.ts";
import type { EndpointData } from "../../../collector/src/run/types.ts";
import { SECOND, T0, iperfSummary, numbers, series, spec, type Row } from "./helpers.ts";
import { anyConstants, anyNumber } from "../../helpers/arbitraries.ts";

const counterCell = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 1_000_000n }), anyNumber, fc.constant(null));
const time = fc.bigInt({ min: T0 - 20n * SECOND, max: T0 + 20n * SECOND });

/** Rows at random times (unsorted, maybe duplicated) with `width` random cells each. */
function rows(width: number, cell: fc.Arbitrary<Row[number]>): fc.Arbitrary<Row[]> {
  return fc.array(fc.tuple(time, fc.array(cell, { minLength: width, maxLength: width })).map(([t, cells]) => [t, ...cells]), { maxLength: 12 });
}

const NETDEV = ["rx_bytes_total", "tx_bytes_total", "rx_packets_total", "tx_packets_total"];
const CPU = ["user_pct", "system_pct", "idle_pct", "softirq_pct"];

function endpointArb(agent: string): fc.Arbitrary<EndpointData> {
  const iface = fc.constantFrom("eth0", "lo", "veth1");
  return fc.record({
    netdev: fc.array(fc.tuple(iface, rows(4, counterCell)).map(([name, r]) => series("netdev", { agent_id: agent, interface: name }, NETDEV, r)), { maxLength: 3 }),
    cpu: fc.array(rows(4, anyNumber).map((r) => series("cpu", { agent_id: agent, cpu: "all" }, CPU, r)), { maxLength: 1 }),
    tcp: fc.array(rows(1, counterCell).map((r) => series("tcp", { agent_id: agent }, ["retrans_segs_total"], r)), { maxLength: 1 }),
    flows: fc.array(rows(2, fc.oneof(counterCell, fc.boolean())).map((r) => series("tcp_flow", { agent_id: agent, local: "a", remote: "b", state: "ESTAB" }, ["cwnd", "rtt_ns"], r)), { maxLength: 2 }),
  }).map((d) => ({ agentId: agent, ...d }));
}


const finiteNonNeg = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });

describe("correlate: properties", () => {
  it("never puts NaN or Infinity in a result, its report or its points", () => {
    fc.assert(
      fc.property(endpointArb("srv"), endpointArb("cli"), time, time, finiteNonNeg(1e15), fc.integer({ min: 0, max: 1 << 24 }), anyConstants, fc.boolean(),
        (server, client, from, to, bps, length, constants, reverse) => {
          const iperf = iperfSummary(bps, { lengthBytes: length, reverse });
          const r = correlate({ spec: spec({ reverse, serverAddress: reverse ? "127.0.0.1" : "10.0.0.2" }), window: { fromNs: from, toNs: to }, iperf, server, client, constants });
          for (const n of numbers(r)) assert.ok(Number.isFinite(n), `non-finite ${n}`);
          assert.ok(!r.warnings.some((w) => w.includes("was not a finite number")), r.warnings.join("\n"));
          JSON.parse(toJson(r));
          const table = formatRun({ results: r }).split("cost model per")[0] ?? "";
          assert.ok(!/NaN|Infinity/.test(table), table);
          for (const p of runPoints(r)) for (const v of Object.values(p.fields)) assert.ok(typeof v !== "number" || Number.isFinite(v));
        }),
      // why: shrinking these nested series takes minutes; the first counterexample is readable enough.
      { numRuns: 300, endOnFailure: true },
    );
  });

  it("breaks the measured time per packet into the model's terms plus the unexplained rest", () => {
    const constants = fc.record({
      packet_bytes: fc.integer({ min: 512, max: 262_144 }),
      copies: finiteNonNeg(16),
      copy_us: fc.option(finiteNonNeg(100), { nil: null }),
      copy_bytes_per_s: fc.double({ min: 1e8, max: 1e12, noNaN: true }),
      syscalls: finiteNonNeg(16),
      syscall_us: finiteNonNeg(10),
      exits: finiteNonNeg(16),
      exit_us: finiteNonNeg(10),
    });
    fc.assert(
      fc.property(constants, fc.double({ min: 1e6, max: 1e12, noNaN: true }), fc.integer({ min: 1, max: 1 << 22 }), (c, bps, length) => {
        const r = correlate({ spec: spec(), window: { fromNs: T0, toNs: T0 + 10n * SECOND }, iperf: iperfSummary(bps, { lengthBytes: length }), server: { agentId: "srv", netdev: [], cpu: [], tcp: [], flows: [] }, client: { agentId: "cli", netdev: [], cpu: [], tcp: [], flows: [] }, constants: c });
        const b = r.model.breakdown;
        const pps = bps / 8 / c.packet_bytes;
        assert.ok(b.measured_packets_per_s !== null && Math.abs(b.measured_packets_per_s - pps) <= 1e-9 * pps);
        assert.ok(b.measured_per_packet_us !== null && b.unexplained_us !== null);
        const terms = b.terms.reduce((a, t) => a + t.total_us, 0);
        assert.ok(Math.abs(b.unexplained_us + terms - b.measured_per_packet_us) <= 1e-9 * Math.max(1, b.measured_per_packet_us));
        assert.equal(b.model_per_packet_us, terms);
        const syscalls = b.terms.find((t) => t.term === "syscalls");
        assert.equal(syscalls?.source, "derived");
        assert.ok(Math.abs((syscalls?.count ?? 0) - (2 * c.packet_bytes) / length) <= 1e-9 * syscalls!.count);
        assert.deepEqual(r.model.constants, { ...c });
      }),
      { numRuns: 300 },
    );
  });

  it("the paper's constants at 41 Gbit/s give 61 % of 67.2 Gbit/s", () => {
    const empty = (agentId: string) => ({ agentId, netdev: [], cpu: [], tcp: [], flows: [] });
    const r = correlate({ spec: spec(), window: { fromNs: T0, toNs: T0 + 10n * SECOND }, iperf: iperfSummary(41e9), server: empty("srv"), client: empty("cli"), constants: { ...PAPER_CONSTANTS } });
    assert.equal(Math.round((r.model.efficiency ?? 0) * 100), 61);
    assert.equal(r.model.ceiling.max_gbit_s?.toFixed(1), "67.2");
  });
});
