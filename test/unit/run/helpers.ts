// Scaffolding for run tests: fixtures, synthetic store series, a clean iperf3 summary and spec.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Series } from "../../../collector/src/store/types.ts";
import type { Iperf3Summary } from "../../../collector/src/run/iperf3.parse.ts";
import type { EndpointData, RunSpec } from "../../../collector/src/run/types.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/iperf3/", import.meta.url));

export function iperfFixture(name: string): string {
  return readFileSync(FIXTURES + name, "utf8");
}

export const SECOND = 1_000_000_000n;
/** Window start used by the synthetic runs. */
export const T0 = 1_795_693_756n * SECOND;

/** Every number anywhere in a value. */
export function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
  return out;
}

export type Row = Array<bigint | number | string | boolean | null>;

export function series(measurement: string, tags: Record<string, string>, fields: string[], values: Row[]): Series {
  return { measurement, tags, columns: ["time_ns", ...fields], values, truncated: false };
}

export interface Linear {
  /** Bytes per second in each direction. */
  txBytesPerS: number;
  rxBytesPerS: number;
  /** Bytes per packet in each direction (GSO on tx, GRO on rx). */
  txPacket?: number;
  rxPacket?: number;
  /** Samples at T0 + i s for i in [firstS, lastS]. */
  firstS?: number;
  lastS?: number;
}

/** A netdev series whose counters grow linearly from 1e6 at T0. */
export function netdevLinear(agent: string, iface: string, l: Linear): Series {
  const fields = ["rx_bytes_total", "tx_bytes_total", "rx_packets_total", "tx_packets_total"];
  const rows: Row[] = [];
  const txP = l.txPacket ?? 65_536;
  const rxP = l.rxPacket ?? 65_536;
  for (let i = l.firstS ?? 0; i <= (l.lastS ?? 10); i++) {
    const rx = Math.round(1_000_000 + l.rxBytesPerS * i);
    const tx = Math.round(1_000_000 + l.txBytesPerS * i);
    rows.push([T0 + BigInt(i) * SECOND, BigInt(rx), BigInt(tx), BigInt(Math.round(rx / rxP)), BigInt(Math.round(tx / txP))]);
  }
  return series("netdev", { agent_id: agent, host: `${agent}-host`, netns: "", interface: iface }, fields, rows);
}

const CPU = ["user_pct", "system_pct", "softirq_pct", "irq_pct", "steal_pct", "guest_pct", "idle_pct", "busy_pct"];

/** cpu=all rows at T0 + i s, i in 0..10, each with the given percentages. */
export function cpuSeries(agent: string, pct: (i: number) => number[]): Series {
  const rows: Row[] = [];
  for (let i = 0; i <= 10; i++) rows.push([T0 + BigInt(i) * SECOND, ...pct(i)]);
  return series("cpu", { agent_id: agent, host: `${agent}-host`, netns: "", cpu: "all" }, CPU, rows);
}

/** tcp rows with retrans_segs_total growing by perS each second from 100. */
export function tcpSeries(agent: string, perS: number): Series {
  const rows: Row[] = [];
  for (let i = 0; i <= 10; i++) rows.push([T0 + BigInt(i) * SECOND, BigInt(100 + perS * i)]);
  return series("tcp", { agent_id: agent, host: `${agent}-host`, netns: "" }, ["retrans_segs_total"], rows);
}

export function flowSeries(agent: string, local: string, remote: string): Series {
  const fields = ["cwnd", "rtt_ns", "retrans_total", "delivery_rate_bits_per_s", "app_limited"];
  const rows: Row[] = [];
  for (let i = 0; i <= 12; i++) rows.push([T0 + BigInt(i) * SECOND, BigInt(10 + i), BigInt(50_000 + i), BigInt(i), 8e9 + i, false]);
  return series("tcp_flow", { agent_id: agent, host: `${agent}-host`, netns: "", local, remote, state: "ESTAB" }, fields, rows);
}

/** An agent moving `bytesPerS` over eth0 in `dir`, with lo idle, CPU, retransmits and one flow. */
export function endpoint(agent: string, dir: "tx" | "rx", bytesPerS: number): EndpointData {
  const eth = dir === "tx" ? { txBytesPerS: bytesPerS, rxBytesPerS: bytesPerS / 100, rxPacket: 66 } : { txBytesPerS: bytesPerS / 100, rxBytesPerS: bytesPerS, txPacket: 66 };
  return {
    agentId: agent,
    netdev: [netdevLinear(agent, "eth0", eth), netdevLinear(agent, "lo", { txBytesPerS: 10, rxBytesPerS: 10 })],
    cpu: [cpuSeries(agent, (i) => [10 + i, 20, 5, 1, 0, 0, 64 - i, 36 + i])],
    tcp: [tcpSeries(agent, dir === "tx" ? 2 : 0)],
    flows: [flowSeries(agent, "10.0.0.1:40000", "10.0.0.2:5201")],
  };
}

export function spec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    id: "run-1",
    server: { agentId: "srv", interface: "" },
    client: { agentId: "cli", interface: "" },
    serverAddress: "10.0.0.2",
    port: 5201,
    durationS: 10,
    streams: 1,
    lengthBytes: 0,
    congestion: "",
    reverse: false,
    sampleIntervalMs: 1000,
    ...overrides,
  };
}

/** A client report of a clean forward test: bitsPerS at both ends over 10 s from T0, 131,072 B writes. */
export function iperfSummary(bitsPerS: number, overrides: Partial<Iperf3Summary> = {}): Iperf3Summary {
  const sum = { startS: 0, endS: 10, seconds: 10, bytes: (bitsPerS / 8) * 10, bitsPerS, retransmits: null, sender: true };
  return {
    version: "iperf 3.12",
    role: "client",
    cookie: "c1",
    startNs: T0,
    durationS: 10,
    protocol: "TCP",
    streams: 1,
    lengthBytes: 131_072,
    reverse: false,
    bidir: false,
    senderCongestion: "cubic",
    receiverCongestion: "cubic",
    sent: { ...sum, retransmits: 20 },
    received: sum,
    retransmits: 20,
    cpu: { hostTotalPct: 30, hostUserPct: 1, hostSystemPct: 29, remoteTotalPct: 50, remoteUserPct: 2, remoteSystemPct: 48 },
    intervals: [],
    udp: null,
    bidirReverse: null,
    ...overrides,
  };
}
