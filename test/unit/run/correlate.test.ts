import assert from "node:assert/strict";
import { toJson } from "@eastwest/common";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { correlate, type CorrelateInput } from "../../../collector/src/run/correlate.ts";
import { parseIperf3 } from "../../../collector/src/run/iperf3.parse.ts";
import type { EndpointData } from "../../../collector/src/run/types.ts";
import { SECOND, T0, endpoint, iperfFixture, iperfSummary, netdevLinear, numbers, series, spec, type Row } from "./helpers.ts";

const GBIT8 = 8e9;
const WINDOW = { fromNs: T0, toNs: T0 + 10n * SECOND };

function input(overrides: Partial<CorrelateInput> = {}): CorrelateInput {
  return {
    spec: spec(),
    window: WINDOW,
    iperf: iperfSummary(GBIT8),
    server: endpoint("srv", "rx", 1e9),
    client: endpoint("cli", "tx", 1e9),
    constants: { ...PAPER_CONSTANTS },
    ...overrides,
  };
}

function close(actual: number | null | undefined, expected: number, tol = 1e-9): void {
  assert.ok(typeof actual === "number" && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} !~ ${expected}`);
}

function allFinite(v: unknown): void {
  for (const n of numbers(v)) assert.ok(Number.isFinite(n), `non-finite ${n}`);
}

function empty(agent: string): EndpointData {
  return { agentId: agent, netdev: [], cpu: [], tcp: [], flows: [] };
}

describe("correlate: 10 GB over 10 s at both ends", () => {
  const r = correlate(input());

  it("reads 8 Gbit/s at both interfaces and agrees with iperf3", () => {
    assert.equal(r.direction, "forward");
    assert.equal(r.sender, "client");
    assert.equal(r.window_s, 10);
    assert.equal(r.throughput.iperf3_receiver_bits_per_s, GBIT8);
    assert.equal(r.throughput.iperf3_receiver_gbit_s, 8);
    assert.equal(r.throughput.netdev_sender_bits_per_s, GBIT8);
    assert.equal(r.throughput.netdev_receiver_bits_per_s, GBIT8);
    assert.equal(r.throughput.sender_agreement, 1);
    assert.equal(r.throughput.receiver_agreement, 1);
    assert.deepEqual(r.warnings, []);
  });

  it("picks the busiest non-loopback interface in the data's direction", () => {
    assert.deepEqual([r.client.netdev.interface, r.client.netdev.chosen_by, r.client.netdev.direction], ["eth0", "busiest", "tx"]);
    assert.deepEqual([r.server.netdev.interface, r.server.netdev.direction, r.server.role], ["eth0", "rx", "receiver"]);
    assert.deepEqual(r.client.netdev.bytes, { from_ns: T0, to_ns: T0 + 10n * SECOND, seconds: 10, delta: 10e9, resets: 0, samples: 11 });
  });

  it("gives packets/s and bytes per packet (GSO on tx, GRO on rx)", () => {
    close(r.client.netdev.packets_per_s, 1e9 / 65_536, 1e-6);
    close(r.client.netdev.bytes_per_packet, 65_536, 1e-6);
    close(r.server.netdev.bytes_per_packet, 65_536, 1e-6);
  });

  it("averages CPU over the samples whose interval ends in the window", () => {
    assert.equal(r.client.cpu.samples, 10);
    close(r.client.cpu.user_pct, 15.5);
    close(r.client.cpu.idle_pct, 58.5);
    close(r.server.cpu.softirq_pct, 5);
    assert.equal(r.client.host, "cli-host");
  });

  it("takes retransmits from iperf3 and RetransSegs from the sender", () => {
    assert.deepEqual(r.retransmits, { iperf3: 20, sender_retrans_segs: 20 });
    assert.equal(r.server.retrans_segs?.delta, 0);
  });

  it("keeps the last flow row inside the window", () => {
    const f = r.client.flows[0];
    assert.ok(f);
    assert.equal(f.time_ns, T0 + 10n * SECOND);
    assert.deepEqual(f.fields, { cwnd: 20n, rtt_ns: 50_010n, retrans_total: 10n, delivery_rate_bits_per_s: 8e9 + 10, app_limited: false });
    assert.deepEqual([f.local, f.remote, f.state], ["10.0.0.1:40000", "10.0.0.2:5201", "ESTAB"]);
  });

  it("prices a 64 KiB packet from iperf3's receiver rate, syscalls derived from the write size", () => {
    const b = r.model.breakdown;
    close(b.measured_packets_per_s, 1e9 / 65_536);
    close(b.measured_per_packet_us, 65.536);
    const [copies, syscalls, exits] = b.terms;
    assert.deepEqual([copies?.source, copies?.count, copies?.total_us], ["model", 4, 4.8]);
    assert.deepEqual([syscalls?.source, syscalls?.count], ["derived", 1]);
    assert.match(r.model.derivations.syscalls_per_packet ?? "", /65,536 B \/ 131,072 B per call = 0.5 writes on the sender \+ the same reads/);
    assert.deepEqual([exits?.source, exits?.count, exits?.total_us], ["none", 0, 0]);
    assert.match(exits?.reason ?? "", /^no exit source: /);
    close(b.unexplained_us, 65.536 - 4.8 - 0.5);
    assert.equal(r.model.model_version, "1");
    assert.deepEqual(r.model.constants, { ...PAPER_CONSTANTS });
    close(r.model.efficiency, 8 / r.model.ceiling.max_gbit_s!);
  });

  it("serialises with toJson, bigints exact", () => {
    const back = JSON.parse(toJson(r)) as { window: { fromNs: string }; run_id: string };
    assert.equal(back.window.fromNs, T0.toString());
    assert.equal(back.run_id, "run-1");
  });
});

describe("correlate: counters and interfaces", () => {
  it("sums across a counter reset and says so", () => {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => {
      const v = i <= 4 ? 5e9 + i * 1e9 : (i - 5) * 1e9 + 3e8;
      return [T0 + BigInt(i) * SECOND, BigInt(v), BigInt(v / 65_536 | 0)];
    });
    const client = { ...endpoint("cli", "tx", 1e9), netdev: [series("netdev", { agent_id: "cli", interface: "eth0" }, ["tx_bytes_total", "tx_packets_total"], rows)] };
    const r = correlate(input({ client }));
    assert.equal(r.client.netdev.bytes?.resets, 1);
    assert.equal(r.client.netdev.bytes?.delta, 4e9 + 3e8 + 5e9);
    assert.ok(r.warnings.some((w) => /client agent cli eth0: counter reset 1 time\(s\) in the window; the increase is a lower bound/.test(w)), r.warnings.join("\n"));
  });

  it("ignores samples outside the window", () => {
    const before = netdevLinear("cli", "eth0", { txBytesPerS: 5e9, rxBytesPerS: 0, firstS: -5, lastS: -1 });
    const after = netdevLinear("cli", "eth0", { txBytesPerS: 5e9, rxBytesPerS: 0, firstS: 11, lastS: 15 });
    const inside = netdevLinear("cli", "eth0", { txBytesPerS: 1e9, rxBytesPerS: 0 });
    const r = correlate(input({ client: { ...endpoint("cli", "tx", 1e9), netdev: [before, inside, after] } }));
    assert.equal(r.throughput.netdev_sender_bits_per_s, GBIT8);
  });

  it("divides by iperf3's test time when the window brackets the run with idle samples", () => {
    const fields = ["rx_bytes_total", "tx_bytes_total", "rx_packets_total", "tx_packets_total"];
    const rows: Row[] = [];
    for (let i = -2; i <= 12; i++) {
      const b = BigInt(1e6 + 1e9 * Math.min(10, Math.max(0, i)));
      rows.push([T0 + BigInt(i) * SECOND, b, b, b / 65_536n, b / 65_536n]);
    }
    const eth = (agent: string) => ({ ...endpoint(agent, "tx", 1e9), netdev: [series("netdev", { agent_id: agent, interface: "eth0" }, fields, rows)] });
    const r = correlate(input({ window: { fromNs: T0 - 2n * SECOND, toNs: T0 + 12n * SECOND }, server: eth("srv"), client: eth("cli") }));
    assert.equal(r.client.netdev.bytes?.seconds, 14);
    assert.deepEqual([r.client.netdev.rate_seconds, r.client.netdev.rate_basis], [10, "iperf3_duration"]);
    assert.equal(r.throughput.netdev_sender_bits_per_s, GBIT8);
    assert.equal(r.throughput.receiver_agreement, 1);
    const inside = correlate(input({ window: { fromNs: T0 + 2n * SECOND, toNs: T0 + 6n * SECOND }, server: eth("srv"), client: eth("cli") }));
    assert.deepEqual([inside.client.netdev.rate_seconds, inside.client.netdev.rate_basis], [4, "sample_span"]);
    assert.equal(inside.throughput.netdev_sender_bits_per_s, GBIT8);
  });

  it("warns with a signed percentage when netdev and iperf3 disagree", () => {
    const r = correlate(input({ client: endpoint("cli", "tx", 1.07e9) }));
    close(r.throughput.sender_agreement, 1.07);
    assert.ok(r.warnings.includes("netdev throughput at client agent cli (eth0 tx) differs from iperf3 by +7 %"), r.warnings.join("\n"));
  });

  it("names data left unread by the receiving iperf3 when netdev agrees with the bytes sent", () => {
    const iperf = structuredClone(input().iperf);
    iperf.sent.bytes = Math.round(iperf.received.bytes * 1.07);
    const r = correlate(input({ iperf, client: endpoint("cli", "tx", 1.07e9) }));
    assert.ok(r.warnings.includes("netdev throughput at client agent cli (eth0 tx) is +7 % against iperf3's receiver, 0 % against its sender: iperf3 sent +7 % more than its receiver read (still in the receiver's socket buffer when the test ended)"), r.warnings.join("\n"));
  });

  it("uses the interface the spec names, and says when it is missing", () => {
    const named = correlate(input({ spec: spec({ client: { agentId: "cli", interface: "lo" } }) }));
    assert.deepEqual([named.client.netdev.interface, named.client.netdev.chosen_by], ["lo", "spec"]);
    const missing = correlate(input({ spec: spec({ server: { agentId: "srv", interface: "veth9" } }) }));
    assert.equal(missing.server.netdev.interface, null);
    assert.equal(missing.throughput.netdev_receiver_bits_per_s, null);
    assert.ok(missing.warnings.includes("interface veth9 has no netdev series on server agent srv (has: eth0, lo)"));
  });

  it("reads lo for a loopback run", () => {
    const lo = (agent: string) => ({ ...endpoint(agent, "tx", 1e9), netdev: [netdevLinear(agent, "lo", { txBytesPerS: 1e9, rxBytesPerS: 1e9 })] });
    const r = correlate(input({ spec: spec({ serverAddress: "127.0.0.1" }), server: lo("srv"), client: lo("cli") }));
    assert.deepEqual([r.client.netdev.interface, r.client.netdev.chosen_by], ["lo", "loopback"]);
    assert.equal(r.throughput.receiver_agreement, 1);
  });

  it("reads the server's tx in a reverse run", () => {
    const r = correlate(input({ spec: spec({ reverse: true }), iperf: iperfSummary(GBIT8, { reverse: true }), server: endpoint("srv", "tx", 1e9), client: endpoint("cli", "rx", 1e9) }));
    assert.deepEqual([r.direction, r.sender, r.server.role, r.server.netdev.direction], ["reverse", "server", "sender", "tx"]);
    assert.equal(r.throughput.sender_agreement, 1);
    assert.equal(r.retransmits.sender_retrans_segs, 20);
    assert.deepEqual(r.warnings, []);
  });
});

describe("correlate: missing data", () => {
  it("gives nulls and one warning per agent without samples, never NaN", () => {
    const r = correlate(input({ server: empty("srv"), client: empty("cli") }));
    assert.equal(r.throughput.netdev_sender_bits_per_s, null);
    assert.equal(r.throughput.sender_agreement, null);
    assert.equal(r.client.cpu.user_pct, null);
    assert.equal(r.retransmits.sender_retrans_segs, null);
    assert.ok(r.warnings.includes("no samples in the window for server agent srv: every figure from this agent is empty"));
    assert.ok(r.warnings.includes("no samples in the window for client agent cli: every figure from this agent is empty"));
    allFinite(r);
    assert.ok(r.model.breakdown.measured_per_packet_us !== null, "iperf3 still prices the packet");
  });

  it("handles an empty window and an iperf3 report of zero throughput", () => {
    const r = correlate(input({ window: { fromNs: T0, toNs: T0 }, iperf: iperfSummary(0) }));
    assert.ok(r.warnings.includes("the run window is empty (ends at or before it starts): no counter figures"));
    assert.equal(r.model.breakdown.fit, "unmeasured");
    assert.equal(r.throughput.receiver_agreement, null);
    allFinite(r);
  });

  it("names a single sample and a missing RetransSegs", () => {
    const one = { ...endpoint("cli", "tx", 1e9), tcp: [], netdev: [netdevLinear("cli", "eth0", { txBytesPerS: 1e9, rxBytesPerS: 0, firstS: 3, lastS: 3 })] };
    const r = correlate(input({ client: one }));
    assert.ok(r.warnings.includes("client agent cli eth0: 1 sample(s) of tx_bytes_total in the window, 2 needed"), r.warnings.join("\n"));
    assert.ok(r.warnings.includes("client agent cli retrans_segs_total: 0 sample(s) of retrans_segs_total in the window, 2 needed"));
  });
});

describe("correlate: iperf3 reports", () => {
  it("checks the server's report: same test, its own CPU", () => {
    const server = iperfSummary(GBIT8, { role: "server", cpu: { hostTotalPct: 44, hostUserPct: 1, hostSystemPct: 43, remoteTotalPct: 0, remoteUserPct: 0, remoteSystemPct: 0 } });
    const r = correlate(input({ iperfServer: server }));
    assert.equal(r.iperf3.server_report, true);
    assert.deepEqual([r.iperf3.server_cpu_pct, r.iperf3.client_cpu_pct], [44, 30]);
    const other = correlate(input({ iperfServer: { ...server, cookie: "other" } }));
    assert.equal(other.iperf3.server_report, false);
    assert.equal(other.iperf3.server_cpu_pct, 50);
    assert.ok(other.warnings.includes("the server's iperf3 report belongs to another test (cookie differs): ignored"));
  });

  it("correlates the captured loopback reports", () => {
    const iperf = parseIperf3(iperfFixture("tcp.client.json"));
    const iperfServer = parseIperf3(iperfFixture("tcp.server.json"));
    const bytesPerS = iperf.received.bitsPerS / 8;
    const lo = (agent: string) => ({ ...empty(agent), netdev: [netdevLinear(agent, "lo", { txBytesPerS: bytesPerS, rxBytesPerS: bytesPerS, lastS: 2 })] });
    const s = spec({ serverAddress: "127.0.0.1", durationS: 2 });
    const r = correlate({ spec: s, window: { fromNs: T0, toNs: T0 + 2n * SECOND }, iperf, iperfServer, server: lo("srv"), client: lo("cli"), constants: { ...PAPER_CONSTANTS } });
    assert.equal(r.iperf3.server_report, true);
    assert.deepEqual([r.iperf3.retransmits, r.iperf3.sender_congestion, r.iperf3.length_bytes], [6, "bbr", 131_072]);
    assert.ok(Math.abs((r.throughput.receiver_agreement ?? 0) - 1) < 1e-6);
    close(r.model.measured_gbit_s, 24.3082916485937);
    close(r.model.breakdown.measured_packets_per_s, 24_308_291_648.5937 / 8 / 65_536);
    assert.ok(!r.warnings.some((w) => /iperf3 started outside/.test(w)), r.warnings.join("\n"));
  });

  it("warns on UDP, a bidir test and a spec iperf3 did not follow", () => {
    const r = correlate(input({ iperf: iperfSummary(GBIT8, { protocol: "UDP", retransmits: null }), spec: spec({ congestion: "reno", streams: 2 }) }));
    assert.ok(r.warnings.includes("protocol UDP: the per-packet cost model describes TCP bulk transfer"));
    assert.ok(r.warnings.includes("spec asked for 2 stream(s), iperf3 ran 1"));
    assert.ok(r.warnings.includes("spec asked for congestion control reno, iperf3 reports cubic"));
    assert.equal(r.retransmits.iperf3, null);
    const b = correlate(input({ iperf: iperfSummary(GBIT8, { bidir: true }) }));
    assert.equal(b.direction, "bidir");
    assert.ok(b.warnings.some((w) => w.startsWith("bidir test:")));
  });
});
