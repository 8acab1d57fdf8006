// A run as a text report for the CLI: header, results table (metric | server | client | iperf3), flows, the
// per-packet breakdown, efficiency and warnings. Pure. Accepts a record read back from JSON, where a bigint
// may arrive as a number or a decimal string.
import { fmtGbit, fmtInt, fmtPct, formatBreakdown, packetsUnit, renderTable } from "../model/format.ts";
import { pctDiff } from "./checks.ts";
import type { ExitSourceRow } from "./exit-sources.ts";
import type { HostSide } from "./hostside.ts";
import type { RunVm, RunVmNet, RunVmThread } from "./vms.ts";
import type { CpuField, EndpointResults, FlowSnapshot, RunResults } from "./results.ts";
import { flowBytes, flowKind } from "./flows.ts";
import { diagnose } from "../diagnosis/engine.ts";
import { formatDiagnosis } from "../diagnosis/format.ts";
import type { Diagnosis } from "../diagnosis/types.ts";
import { profileLines } from "./profile-format.ts";

/** What the report needs; a stored run record has these and more. */
export interface RunReport {
  id?: string;
  /** Every agent whose sampling was raised for the run. */
  agents?: readonly string[];
  results: RunResults;
  /** The run's findings; absent (a record from before the engine): computed from the record alone. */
  diagnosis?: Diagnosis;
}

const NA = "-";

/** Epoch ns (bigint, number or decimal string) as ISO 8601 UTC with milliseconds; "-" when unreadable. */
export function fmtTimeNs(ns: unknown): string {
  let ms: number | undefined;
  if (typeof ns === "bigint") ms = Number(ns / 1_000_000n);
  else if (typeof ns === "number") ms = ns / 1e6;
  else if (typeof ns === "string" && /^\d+$/.test(ns)) ms = Number(BigInt(ns) / 1_000_000n);
  if (ms === undefined || !Number.isFinite(ms)) return NA;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? NA : d.toISOString();
}

/** Bits per second: "14.03 Gbit/s", below 1 Gbit/s "99.9 Mbit/s". */
export function fmtBits(bps: number | null | undefined): string {
  if (typeof bps !== "number" || !Number.isFinite(bps)) return NA;
  return bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} Gbit/s` : `${(bps / 1e6).toFixed(1)} Mbit/s`;
}

function fmtNum(x: number | null | undefined, suffix = ""): string {
  return typeof x === "number" && Number.isFinite(x) ? `${fmtInt(x)}${suffix}` : NA;
}

function fmtPct1(x: number | null | undefined): string {
  return typeof x === "number" && Number.isFinite(x) ? `${x.toFixed(1)} %` : NA;
}

/** A netdev / iperf3 ratio as its difference: "+7 % vs iperf3". */
function fmtAgreement(r: number | null | undefined): string {
  return typeof r === "number" && Number.isFinite(r) ? `${pctDiff(r)} vs iperf3` : NA;
}

function header(run: RunReport): string[] {
  const r = run.results;
  const s = r.spec;
  const arrow = r.sender === "server" ? `${s.server.agentId} -> ${s.client.agentId}` : `${s.client.agentId} -> ${s.server.agentId}`;
  const agents = run.agents && run.agents.length > 0 ? run.agents.join(", ") : `${s.server.agentId}, ${s.client.agentId}`;
  const length = s.lengthBytes > 0 ? `${fmtInt(s.lengthBytes)} B` : "iperf3 default";
  return [
    `run ${run.id ?? r.run_id}: ${arrow} (${r.direction}), server ${s.server.agentId}, client ${s.client.agentId}`,
    `agents: ${agents}`,
    `window: ${fmtTimeNs(r.window.fromNs)} .. ${fmtTimeNs(r.window.toNs)} (${r.window_s.toFixed(1)} s)`,
    `spec: ${s.serverAddress}:${s.port}, ${s.durationS} s, ${s.streams} stream(s), length ${length}, ` +
      `congestion ${s.congestion || "host default"}${s.reverse ? ", reverse" : ""}, sampling every ${s.sampleIntervalMs} ms${s.live === true ? " (live)" : " (held during the traffic)"}`,
    `iperf3: ${r.iperf3.protocol}, ${r.iperf3.streams} stream(s), ${fmtInt(r.iperf3.length_bytes)} B per call, ` +
      `congestion ${r.iperf3.sender_congestion ?? NA} (sender) / ${r.iperf3.receiver_congestion ?? NA} (receiver)`,
  ];
}

function ifaceCell(e: EndpointResults): string {
  const n = e.netdev;
  return n.interface === null ? NA : `${n.interface} ${n.direction} (${n.chosen_by})`;
}

/** The seconds netdev deltas were divided by, and why. */
function rateOver(e: EndpointResults): string {
  const n = e.netdev;
  if (n.rate_seconds === null || n.rate_seconds === undefined) return NA;
  return `${n.rate_seconds.toFixed(2)} s (${n.rate_basis === "iperf3_duration" ? "iperf3 test" : "samples"})`;
}

const CPU_ROWS: ReadonlyArray<[string, CpuField]> = [
  ["cpu user", "user_pct"],
  ["cpu system", "system_pct"],
  ["cpu softirq", "softirq_pct"],
  ["cpu irq", "irq_pct"],
  ["cpu steal", "steal_pct"],
  ["cpu guest", "guest_pct"],
  ["cpu idle", "idle_pct"],
];

/** Rows of metric | server | client | iperf3. */
function resultRows(r: RunResults): string[][] {
  const { server: sv, client: cl, iperf3: ip, throughput: tp } = r;
  const both = (f: (e: EndpointResults) => string) => [f(sv), f(cl)];
  const agreement = (e: EndpointResults) => fmtAgreement(e.role === "sender" ? tp.sender_agreement : tp.receiver_agreement);
  const retrans = (e: EndpointResults) => (e.retrans_segs === null ? NA : `${fmtInt(e.retrans_segs.delta)} RetransSegs`);
  return [
    ["metric", "server", "client", "iperf3"],
    ["agent", sv.agent_id, cl.agent_id, ""],
    ["role", sv.role, cl.role, ""],
    ["interface", ...both(ifaceCell), ""],
    ["throughput", ...both((e) => fmtBits(e.netdev.bits_per_s)), `${fmtBits(tp.iperf3_receiver_bits_per_s)} received`],
    ["", ...both(agreement), `${fmtBits(tp.iperf3_sender_bits_per_s)} sent`],
    ["rate over", ...both(rateOver), ""],
    ["interface packets/s", ...both((e) => fmtNum(e.netdev.packets_per_s)), ""],
    ["interface bytes/packet", ...both((e) => fmtNum(e.netdev.bytes_per_packet, " B")), ""],
    ...CPU_ROWS.map(([label, f]) => [label, fmtPct1(sv.cpu[f]), fmtPct1(cl.cpu[f]), ""]),
    ["iperf3 process cpu", fmtPct1(ip.server_cpu_pct), fmtPct1(ip.client_cpu_pct), ""],
    ["retransmits", ...both(retrans), fmtNum(r.retransmits.iperf3)],
    ["samples (netdev/cpu/tcp/flow)", ...both((e) => `${e.samples.netdev}/${e.samples.cpu}/${e.samples.tcp}/${e.samples.tcp_flow}`), ""],
  ];
}

function flowField(f: FlowSnapshot, name: string): number | null {
  const v = f.fields[name];
  if (typeof v === "bigint") return Number(v);
  return typeof v === "number" ? v : null;
}

function flowLine(side: string, f: FlowSnapshot): string {
  const rtt = flowField(f, "rtt_ns");
  const parts = [
    `cwnd ${fmtNum(flowField(f, "cwnd"))}`,
    `rtt ${rtt === null ? NA : `${(rtt / 1e3).toFixed(0)} us`}`,
    `retrans ${fmtNum(flowField(f, "retrans_total"))}`,
    `delivery ${fmtBits(flowField(f, "delivery_rate_bits_per_s"))}`,
  ];
  return `  ${side} ${f.local} -> ${f.remote} (${f.state}): ${parts.join(", ")}`;
}

function flowLines(r: RunResults): string[] {
  const all = [...r.server.flows, ...r.client.flows];
  const runBytes = (r.throughput.iperf3_receiver_bits_per_s * r.spec.durationS) / 8;
  const sided = [...r.server.flows.map((f) => ["server", f] as const), ...r.client.flows.map((f) => ["client", f] as const)];
  const data = sided.filter(([, f]) => flowKind(f, all, runBytes) === "data").map(([side, f]) => flowLine(side, f));
  const control = sided
    .filter(([, f]) => flowKind(f, all, runBytes) === "control")
    .map(([side, f]) => `  ${side} ${f.local} -> ${f.remote}: control (iperf3's control connection, ${fmtNum(flowBytes(f), " B")}: no bulk data)`);
  if (data.length + control.length === 0) return [];
  return ["flows (last TCP_INFO in the window):", ...data, ...control, ""];
}

/** What the two packet rates mean: the interface's packets and the model's packets of packet_bytes. */
function packetsNote(r: RunResults): string[] {
  const bytes = r.model.constants.packet_bytes;
  const pps = r.model.breakdown.measured_packets_per_s;
  const model = pps === null ? "n/a" : `${fmtInt(pps)} ${packetsUnit(bytes)}`;
  return [
    `packets/s: "interface packets/s" counts what the interface counted (GSO/GRO-sized, see bytes/packet); the cost model`,
    `counts ${packetsUnit(bytes)}: iperf3's ${fmtBits(r.throughput.iperf3_receiver_bits_per_s)} / ${fmtInt(bytes)} B = ${model}.`,
    "",
  ];
}

function modelLines(r: RunResults): string[] {
  const m = r.model;
  const size = fmtInt(m.breakdown.bytes_per_packet);
  const ceil = m.ceiling.max_gbit_s;
  const eff =
    m.efficiency === null || ceil === null || m.measured_gbit_s === null
      ? `efficiency: n/a (${m.measured_gbit_s === null ? "no measured throughput" : "no finite ceiling"})`
      : `efficiency: ${fmtPct(m.efficiency)} of the ${fmtGbit(ceil)} Gbit/s ceiling (${m.measured_gbit_s.toFixed(2)} Gbit/s measured by iperf3)`;
  const derived = Object.entries(m.derivations).map(([k, how]) => `  ${k}: ${how}`);
  return [`cost model per ${size} B packet (model version ${m.model_version}):`, formatBreakdown(m.breakdown).trimEnd(), "", eff, "counts:", ...derived];
}

/** The run report: lines joined by newlines, no trailing newline. */
export function formatRun(run: RunReport & { hostSide?: HostSide }): string {
  const r = run.results;
  const warnings = r.warnings.length === 0 ? ["warnings: none"] : ["warnings:", ...r.warnings.map((w) => `  - ${w}`)];
  const host = run.hostSide ? ["", ...hostLines(run.hostSide)] : [];
  const findings = formatDiagnosis(run.diagnosis ?? diagnose(run));
  return [...header(run), "", ...renderTable(resultRows(r), true), "", ...packetsNote(r), ...flowLines(r), ...modelLines(r), ...profileLines(r.profile), ...host, "", ...warnings, "", ...findings].join("\n");
}

const KINDS = ["vcpu", "io", "main", "vhost", "other"];

/** CPU of a VM's threads per kind: "vcpu 80.1 % (CPU 0/TCG 80.1 %), io -, main 12.3 %". */
function threadCell(threads: readonly RunVmThread[]): string {
  const parts = KINDS.map((kind) => {
    const mine = threads.filter((t) => t.kind === kind);
    const known = mine.filter((t) => typeof t.run_pct === "number");
    if (known.length === 0) return kind === "vhost" || kind === "io" ? `${kind} -` : undefined;
    const sum = known.reduce((acc, t) => acc + (t.run_pct as number), 0);
    const each = kind === "vcpu" && known.length > 1 ? ` (${known.map((t) => `${t.thread} ${fmtPct1(t.run_pct)}`).join(", ")})` : "";
    return `${kind} ${fmtPct1(sum)}${each}`;
  });
  return parts.filter((p) => p !== undefined).join(", ");
}

function bytesCell(b: number | null | undefined): string {
  if (typeof b !== "number" || !Number.isFinite(b)) return NA;
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${fmtInt(b)} B`;
}

function netLine(n: RunVmNet): string {
  const dir = (bytes: number | null, packets: number | null, drops: number | null) => `${bytesCell(bytes)} (${fmtNum(packets)} packets, ${fmtNum(drops)} drops)`;
  const over = typeof n.seconds === "number" ? ` over ${n.seconds.toFixed(1)} s` : "";
  return `    tap ${n.iface}: from the guest ${dir(n.tx_bytes, n.tx_packets, n.tx_drops)}, to the guest ${dir(n.rx_bytes, n.rx_packets, n.rx_drops)}${over}`;
}

function vmLines(v: RunVm): string[] {
  const stats = v.kvm_stats === "" ? "" : `, KVM counters ${v.kvm_stats}`;
  return [
    `  vm ${v.vm} on ${v.host_agent} (${v.accel || "?"}${stats}; uuid ${v.vm_uuid}; guest agent ${v.guest_agents.join(", ")}):`,
    `    threads: ${v.threads.length === 0 ? NA : threadCell(v.threads)}`,
    ...(v.net.length === 0 ? ["    taps: -"] : v.net.map(netLine)),
    `    exits: ${v.exits === null ? (v.exits_reason ?? NA) : fmtInt(v.exits)}`,
  ];
}

function sourceLine(r: ExitSourceRow): string {
  const rate = (x: number | null) => (x === null ? NA : `${fmtInt(Math.round(x))} exits/s`);
  const verdict = r.verdict === "not_working" ? "tracepoint not working" : r.verdict === "disagree" ? `disagree by ${Math.round(r.diff_pct ?? 0)} %` : r.verdict === "agree" ? "agree" : "not compared";
  return `  exit sources (${r.agent_id}): perf kvm:kvm_exit ${rate(r.tracepoint_per_s)}, VMs' KVM counters ${rate(r.vms_per_s)}: ${verdict}`;
}

/** The host side: VMs, exit sources, PMU, memory bandwidth, exits by reason (absent figures are explained in the warnings). */
export function hostLines(h: HostSide): string[] {
  const out = [`host side (${h.hostAgents.join(", ") || "no host agent"}):`];
  for (const v of h.vms ?? []) out.push(...vmLines(v));
  for (const r of h.exitSources ?? []) out.push(sourceLine(r));
  out.push(h.pmu ? `  PMU: IPC ${fmtNum(h.pmu.ipc)}, ${fmtNum(h.pmu.cyclesPerByte)} cycles per payload byte` : "  PMU: -");
  out.push(h.membw ? `  memory traffic: ${fmtNum(h.membw.perPayloadByte)} bytes per payload byte (${h.membw.source})` : "  memory traffic: -");
  if (h.exitReasons.length === 0) out.push("  exits by reason: -");
  else for (const e of h.exitReasons.slice(0, 10)) out.push(`  exits ${e.reason} (${e.agentId}): ${e.count} = ${fmtNum(e.perPacket)} per packet`);
  return out;
}
