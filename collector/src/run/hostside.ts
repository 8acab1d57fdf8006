// The host side of a run: the VMs carrying it (threads' CPU, taps, exits: vms.ts), PMU counts (IPC, cycles per
// payload byte), memory bandwidth (bytes moved per payload byte: the measured stand-in for the model's copies), VM
// exits by reason, and whether the host's two exit sources agree, from the host agents that carry the run. Each
// figure is null with the reason when its source is unavailable.
import type { Series, Store } from "../store/types.ts";
import { exitSources, type ExitSourceRow } from "./exit-sources.ts";
import type { Window } from "./types.ts";
import type { RunVm } from "./vms.ts";

export interface ExitReasonRow {
  agentId: string;
  reason: string;
  count: number;
  perPacket: number | null;
}

export interface HostSide {
  hostAgents: string[];
  /** The VMs of the run's guest agents, as their host agents saw them in the window. */
  vms: RunVm[];
  pmu: { cycles: number; instructions: number; ipc: number | null; cyclesPerByte: number | null } | null;
  membw: { bytes: number; perPayloadByte: number | null; source: string } | null;
  exitReasons: ExitReasonRow[];
  /** Per host agent: the kvm:kvm_exit tracepoint against the VMs' own exit counters. */
  exitSources: ExitSourceRow[];
  notes: string[];
}

function sumField(series: readonly Series[], field: string, w: Window): { sum: number; samples: number } {
  let sum = 0;
  let samples = 0;
  for (const s of series) {
    const i = s.columns.indexOf(field);
    if (i < 0) continue;
    for (const row of s.values) {
      const t = row[0] as bigint;
      const v = row[i];
      // why: each pmu/membw point counts its own perf interval; only intervals inside the window add up.
      if (t <= w.fromNs || t > w.toNs || (typeof v !== "number" && typeof v !== "bigint")) continue;
      sum += Number(v);
      samples += 1;
    }
  }
  return { sum, samples };
}

async function unavailable(store: Store, agentId: string, sampler: string): Promise<string> {
  const a = await store.getAgent(agentId);
  const cap = a?.capabilities.find((c) => c.sampler === sampler);
  if (!cap) return `${agentId}: no ${sampler} sampler`;
  return cap.available ? `${agentId}: no ${sampler} samples in the window` : `${agentId}: ${cap.reason}`;
}

export async function hostSide(store: Store, hostAgents: readonly string[], w: Window, payloadBytes: number, vms: readonly RunVm[] = []): Promise<HostSide> {
  const out: HostSide = { hostAgents: [...hostAgents], vms: [...vms], pmu: null, membw: null, exitReasons: [], exitSources: [], notes: [] };
  if (hostAgents.length === 0) {
    out.notes.push("no host agent observed this run: no VMs, PMU, memory-bandwidth or exit-reason figures");
    return out;
  }
  const agreement = await exitSources(store, hostAgents, w);
  out.exitSources = agreement.rows;
  out.notes.push(...agreement.notes);
  let cycles = 0;
  let instructions = 0;
  let bytes = 0;
  let sources = new Set<string>();
  for (const agentId of hostAgents) {
    const pmu = await store.query({ measurement: "pmu", fromNs: w.fromNs, toNs: w.toNs, tags: { agent_id: agentId, scope: "host" } });
    const c = sumField(pmu, "cycles_count", w);
    if (c.samples === 0) out.notes.push(`pmu: ${await unavailable(store, agentId, "pmu")}`);
    cycles += c.sum;
    instructions += sumField(pmu, "instructions_count", w).sum;
    const mb = await store.query({ measurement: "membw", fromNs: w.fromNs, toNs: w.toNs, tags: { agent_id: agentId } });
    const r = sumField(mb, "read_bytes", w);
    const wr = sumField(mb, "write_bytes", w);
    if (r.samples + wr.samples === 0) out.notes.push(`membw: ${await unavailable(store, agentId, "membw")}`);
    else sources = new Set([...sources, ...mb.map((s) => s.tags["source"] ?? "?")]);
    bytes += r.sum + wr.sum;
  }
  if (cycles > 0) out.pmu = { cycles, instructions, ipc: instructions > 0 ? instructions / cycles : null, cyclesPerByte: payloadBytes > 0 ? cycles / payloadBytes : null };
  if (bytes > 0) out.membw = { bytes, perPayloadByte: payloadBytes > 0 ? bytes / payloadBytes : null, source: [...sources].join("+") };
  return out;
}

/** Exit reasons from each host agent's collectExitReasons result, per packet of packetBytes. */
export function exitReasonRows(results: ReadonlyArray<{ agentId: string; doc: unknown }>, payloadBytes: number, packetBytes: number, notes: string[]): ExitReasonRow[] {
  const packets = payloadBytes > 0 && packetBytes > 0 ? payloadBytes / packetBytes : 0;
  const rows: ExitReasonRow[] = [];
  for (const { agentId, doc } of results) {
    const d = doc as { available?: boolean; reason?: string; reasons?: Array<{ reason: string; count: number | bigint }>; total?: number | bigint };
    if (!d || d.available !== true) {
      notes.push(`exit reasons: ${agentId}: ${d?.reason ?? "no result"}`);
      continue;
    }
    if (Number(d.total ?? 0) === 0) notes.push(`exit reasons: ${agentId}: kvm:kvm_exit counted no exits in the window`);
    for (const r of d.reasons ?? []) rows.push({ agentId, reason: r.reason, count: Number(r.count), perPacket: packets > 0 ? Number(r.count) / packets : null });
  }
  return rows.sort((a, b) => b.count - a.count);
}
