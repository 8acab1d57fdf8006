// Measured terms of a run from the agents' CPU profiles (collectProfile: perf record -e cpu-clock): per end, the
// samples of its iperf3 process per term, as microseconds of CPU time per packet of the model's size:
// us = samples x sample period / packets in the window. Pure; reads the profile documents defensively (they come
// from agents).

/** Profile terms as the agent names them (agent/src/host/perf.terms.ts). */
export const TERMS = ["copies", "checksum", "syscalls", "softirq", "stack", "scheduler", "vhost_qemu", "idle", "other"] as const;
export type Term = (typeof TERMS)[number];
/** Terms counted as explained CPU time (all but idle and other). */
export const EXPLAINING: readonly Term[] = ["copies", "checksum", "syscalls", "softirq", "stack", "scheduler", "vhost_qemu"];

export interface ProfileProcess {
  pid: number;
  comm: string;
  samples: number;
  terms: Partial<Record<Term, number>>;
}

/** The parts of a collectProfile result a run uses. */
export interface ProfileDoc {
  frequencyHz: number;
  callGraph: boolean;
  periodNs: number;
  startNs: bigint;
  endNs: bigint;
  totalSamples: number;
  terms: Partial<Record<Term, number>>;
  processes: ProfileProcess[];
  perfOverheadPct: number | null;
}

const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : typeof x === "bigint" ? Number(x) : typeof x === "string" && /^-?\d+$/.test(x) ? Number(x) : undefined);
const big = (x: unknown): bigint | undefined => (typeof x === "bigint" ? x : (typeof x === "string" && /^\d+$/.test(x)) || (typeof x === "number" && Number.isSafeInteger(x)) ? BigInt(x) : undefined);

/** A sample count or period: a number in [0, 1e12] (keeps every product below finite). */
const count = (x: unknown): number | undefined => {
  const v = num(x);
  return v !== undefined && v >= 0 && v <= 1e12 ? v : undefined;
};

function termsOf(x: unknown): Partial<Record<Term, number>> {
  const out: Partial<Record<Term, number>> = {};
  if (typeof x !== "object" || x === null) return out;
  for (const t of TERMS) {
    const v = count((x as Record<string, unknown>)[t]);
    if (v !== undefined) out[t] = v;
  }
  return out;
}

/** A profile document, or the reason it is not usable ("unavailable: ..." from the agent, or a shape problem). */
export function readProfileDoc(doc: unknown): { doc: ProfileDoc } | { reason: string } {
  if (typeof doc !== "object" || doc === null) return { reason: "no profile result" };
  const d = doc as Record<string, unknown>;
  if (d.available !== true) return { reason: typeof d.reason === "string" ? d.reason.slice(0, 300) : "profile not available (no reason given)" };
  const [frequencyHz, periodNs, totalSamples, startNs, endNs] = [count(d.frequencyHz), count(d.periodNs), count(d.totalSamples), big(d.startNs), big(d.endNs)];
  if (frequencyHz === undefined || periodNs === undefined || periodNs <= 0 || totalSamples === undefined || startNs === undefined || endNs === undefined || endNs <= startNs) {
    return { reason: "profile result lacks frequencyHz, periodNs, totalSamples or its window" };
  }
  const procs = Array.isArray(d.processes) ? d.processes : [];
  const processes: ProfileProcess[] = [];
  for (const p of procs.slice(0, 1000)) {
    const q = (p ?? {}) as Record<string, unknown>;
    const pid = num(q.pid);
    const samples = count(q.samples);
    if (pid !== undefined && samples !== undefined) processes.push({ pid, comm: typeof q.comm === "string" ? q.comm.slice(0, 64) : "?", samples, terms: termsOf(q.terms) });
  }
  const overhead = num(d.perfOverheadPct);
  return { doc: { frequencyHz, callGraph: d.callGraph === true, periodNs, startNs, endNs, totalSamples, terms: termsOf(d.terms), processes, perfOverheadPct: overhead ?? null } };
}

export interface EndProfile {
  side: "server" | "client";
  role: "sender" | "receiver";
  agent_id: string;
  /** The agent whose profile covered this end (one per machine). */
  profiled_by: string;
  /** "measured", or "unavailable: <reason>". */
  status: string;
  pid: number | null;
  comm: string | null;
  frequency_hz: number | null;
  period_ns: number | null;
  window: { fromNs: bigint; toNs: bigint } | null;
  /** Every sample of the machine in the window (all CPUs, idle included). */
  total_cpu_samples: number | null;
  /** This end's iperf3 process: samples, per term, and as us per packet. */
  samples: number | null;
  term_samples: Partial<Record<Term, number>>;
  us_per_packet: Partial<Record<Term, number>>;
  cpu_us_per_packet: number | null;
  explained_us: number | null;
  /** explained_us / cpu_us_per_packet. */
  explained_fraction: number | null;
  perf_overhead_pct: number | null;
}

export interface EndInput {
  side: "server" | "client";
  role: "sender" | "receiver";
  agentId: string;
  profiledBy: string;
  /** The profile result of profiledBy (raw JSON document), or why there is none. */
  result: { doc: unknown } | { reason: string };
  /** iperf3's pid on that end (from its iperf3 result); null when the agent did not say. */
  pid: number | null;
}

function unavailableEnd(e: EndInput, reason: string): EndProfile {
  const status = reason.startsWith("unavailable") ? reason : `unavailable: ${reason}`;
  return { side: e.side, role: e.role, agent_id: e.agentId, profiled_by: e.profiledBy, status, pid: e.pid, comm: null, frequency_hz: null, period_ns: null, window: null, total_cpu_samples: null, samples: null, term_samples: {}, us_per_packet: {}, cpu_us_per_packet: null, explained_us: null, explained_fraction: null, perf_overhead_pct: null };
}

/** One end's measured terms; packets: packets of the model's size moved while the profile ran. */
export function endProfile(e: EndInput, packets: number): EndProfile {
  if ("reason" in e.result) return unavailableEnd(e, e.result.reason);
  const read = readProfileDoc(e.result.doc);
  if ("reason" in read) return unavailableEnd(e, read.reason);
  const d = read.doc;
  if (e.pid === null) return unavailableEnd(e, "the iperf3 result did not give its pid (an older agent): its samples cannot be told apart");
  const proc = d.processes.find((p) => p.pid === e.pid);
  if (proc === undefined) return unavailableEnd(e, `iperf3 (pid ${e.pid}) has no samples in the profile of ${e.profiledBy}`);
  if (!(packets >= 1e-3 && Number.isFinite(packets))) return unavailableEnd(e, "no packets moved in the profile's window");
  const usPer = (samples: number) => (samples * d.periodNs) / 1000 / packets;
  const us: Partial<Record<Term, number>> = {};
  for (const t of TERMS) if (proc.terms[t] !== undefined) us[t] = usPer(proc.terms[t] ?? 0);
  const cpu = usPer(proc.samples - (proc.terms.idle ?? 0));
  const explained = EXPLAINING.reduce((a, t) => a + (us[t] ?? 0), 0);
  return {
    ...unavailableEnd(e, ""),
    status: "measured",
    comm: proc.comm,
    frequency_hz: d.frequencyHz,
    period_ns: d.periodNs,
    window: { fromNs: d.startNs, toNs: d.endNs },
    total_cpu_samples: d.totalSamples,
    samples: proc.samples,
    term_samples: proc.terms,
    us_per_packet: us,
    cpu_us_per_packet: cpu,
    explained_us: explained,
    explained_fraction: cpu > 0 ? explained / cpu : null,
    perf_overhead_pct: d.perfOverheadPct,
  };
}

/** The run's measured terms for the breakdown: each term summed over the measured ends; undefined when none was. */
export function measuredTerms(ends: readonly EndProfile[]): { us: Partial<Record<Term, number>>; cpu_per_packet_us: number; source: string } | undefined {
  const measured = ends.filter((e) => e.status === "measured" && e.cpu_us_per_packet !== null);
  if (measured.length === 0) return undefined;
  const us: Partial<Record<Term, number>> = {};
  for (const e of measured) for (const t of EXPLAINING) if (e.us_per_packet[t] !== undefined) us[t] = (us[t] ?? 0) + (e.us_per_packet[t] ?? 0);
  const cpu = measured.reduce((a, e) => a + (e.cpu_us_per_packet ?? 0), 0);
  const hz = [...new Set(measured.map((e) => e.frequency_hz))].join("/");
  return { us, cpu_per_packet_us: cpu, source: `perf cpu-clock at ${hz} Hz, ${measured.map((e) => e.role).join(" + ")}` };
}

/** One profiled machine as a whole (every process): where its CPU time per packet went. */
export interface MachineProfile {
  agent_id: string;
  status: string;
  frequency_hz: number | null;
  call_graph: boolean | null;
  window: { fromNs: bigint; toNs: bigint } | null;
  total_cpu_samples: number | null;
  term_samples: Partial<Record<Term, number>>;
  us_per_packet: Partial<Record<Term, number>>;
  perf_overhead_pct: number | null;
}

export function machineProfile(agentId: string, result: EndInput["result"], packets: number): MachineProfile {
  const base: MachineProfile = { agent_id: agentId, status: "", frequency_hz: null, call_graph: null, window: null, total_cpu_samples: null, term_samples: {}, us_per_packet: {}, perf_overhead_pct: null };
  const read = "reason" in result ? result : readProfileDoc(result.doc);
  if ("reason" in read) return { ...base, status: read.reason.startsWith("unavailable") ? read.reason : `unavailable: ${read.reason}` };
  const d = read.doc;
  const us: Partial<Record<Term, number>> = {};
  if (packets >= 1e-3 && Number.isFinite(packets)) for (const t of TERMS) if (d.terms[t] !== undefined) us[t] = ((d.terms[t] ?? 0) * d.periodNs) / 1000 / packets;
  return { ...base, status: "measured", frequency_hz: d.frequencyHz, call_graph: d.callGraph, window: { fromNs: d.startNs, toNs: d.endNs }, total_cpu_samples: d.totalSamples, term_samples: d.terms, us_per_packet: us, perf_overhead_pct: d.perfOverheadPct };
}
