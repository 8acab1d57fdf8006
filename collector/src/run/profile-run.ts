// A run's CPU profiles: which agents record one (one per machine: two namespace agents on one host share a
// profile, which also halves perf's own cost), the collectProfile commands for the traffic window, and the
// results read into per-end and per-machine measured terms (profile.ts).
import { errorMessage } from "@eastwest/common";
import type { CommandSender } from "@eastwest/common/telemetry";
import type { Store } from "../store/types.ts";
import { endProfile, machineProfile, measuredTerms, type EndInput, type EndProfile, type MachineProfile } from "./profile.ts";

/**
 * Sampling rate per CPU. `npm run bench -- --only d` (one 100 s iperf3 run per direction between namespaces, perf
 * enabled and disabled in 2 s ABBA phases) on this 2-vCPU VM: 199 Hz with call graphs cost 6.8-9.7 % of the
 * throughput (± 1.2-1.4 SE: a miss); 99 Hz 0.9-2.1 %, 49 Hz 0.1-1.2 % (± 0.9-2.0: within the bench's noise, the 1 %
 * target not resolved). 49 Hz leaves a 10 s run about 150 samples per iperf3 end.
 */
export const PROFILE_HZ = 49;
/** Call chains let a sample skewed to where interrupts come back on count for its caller (perf.terms.ts). */
export const PROFILE_CALL_GRAPH = true;
/** perf record takes up to ~0.9 s to start sampling on a busy 2-CPU host: the traffic starts this much later. */
export const PROFILE_LEAD_MS = 1500;
/** And the profile runs on this long after the traffic's planned end (iperf3 setup and teardown). */
export const PROFILE_TAIL_MS = 2500;

export interface ProfilePlan {
  /** Agent -> the agent whose profile covers it (same machine). */
  byAgent: Map<string, string>;
  /** Why an agent has no profile (not connected, ...). */
  missing: Map<string, string>;
}

/** One profiler per machine (agents with the same machine id share it); the run's ends first. */
export async function planProfiles(store: Store, isConnected: (id: string) => boolean, agents: readonly string[]): Promise<ProfilePlan> {
  const plan: ProfilePlan = { byAgent: new Map(), missing: new Map() };
  const byMachine = new Map<string, string>();
  for (const id of agents) {
    if (!isConnected(id)) {
      plan.missing.set(id, "unavailable: agent not connected");
      continue;
    }
    const machine = (await store.getAgent(id))?.machineUuid ?? "";
    const key = machine === "" ? `agent:${id}` : `machine:${machine}`;
    const profiler = byMachine.get(key) ?? id;
    byMachine.set(key, profiler);
    plan.byAgent.set(id, profiler);
  }
  return plan;
}

/** The plan of a run that asked for no profile: each end says so. */
export function noProfiles(agents: readonly string[]): ProfilePlan {
  return { byAgent: new Map(), missing: new Map(agents.map((a) => [a, "unavailable: the run asked for no profile (profile: false)"])) };
}

export type ProfileOutcome = { doc: unknown } | { reason: string };

/** Starts collectProfile on each profiler; each promise settles with the document or the reason there is none. */
export function startProfiles(sessions: CommandSender, plan: ProfilePlan, durationMs: number): Map<string, Promise<ProfileOutcome>> {
  const out = new Map<string, Promise<ProfileOutcome>>();
  for (const profiler of new Set(plan.byAgent.values())) {
    const sent = sessions.command(profiler, { $case: "collectProfile", value: { durationMs, frequencyHz: PROFILE_HZ, callGraph: PROFILE_CALL_GRAPH } }, durationMs + 180_000);
    out.set(
      profiler,
      sent.then(
        (r): ProfileOutcome => {
          if (!r.ok) return { reason: r.error.startsWith("refused") ? `unavailable: ${r.error}` : `unavailable: collectProfile failed: ${r.error}` };
          try {
            return { doc: JSON.parse(r.json) as unknown };
          } catch (err) {
            return { reason: `unavailable: profile result is not JSON: ${errorMessage(err)}` };
          }
        },
        (err: unknown): ProfileOutcome => ({ reason: `unavailable: ${errorMessage(err)}` }),
      ),
    );
  }
  return out;
}

/** Waits up to leadMs for the profiles to start sampling; returns early when every profile already failed. */
export async function profileLead(results: Map<string, Promise<ProfileOutcome>>, leadMs: number): Promise<void> {
  if (results.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const lead = new Promise<void>((r) => (timer = setTimeout(r, leadMs)));
  const allFailed = Promise.all([...results.values()]).then(() => undefined);
  await Promise.race([lead, allFailed]);
  clearTimeout(timer);
}

export interface RunProfiles {
  ends: EndProfile[];
  machines: MachineProfile[];
  /** Warnings, e.g. a profile that started sampling after the traffic. */
  notes: string[];
}

export interface ProfileEnds {
  server: { agentId: string; role: "sender" | "receiver"; pid: number | null };
  client: { agentId: string; role: "sender" | "receiver"; pid: number | null };
  /** Packets of the model's size the run moved (iperf3 receiver bytes / packet_bytes). */
  packets: number;
  /** When the iperf3 commands were sent and when the client's result came back (the traffic lies inside). */
  trafficNs: { fromNs: bigint; toNs: bigint };
}

/** The first and last sample of a profile document, if it has them (numbers, bigints or decimal strings). */
function sampleSpan(doc: unknown): { first: bigint; last: bigint } | undefined {
  const d = doc as { firstSampleNs?: unknown; lastSampleNs?: unknown } | null;
  const b = (x: unknown) => (typeof x === "bigint" ? x : typeof x === "string" && /^\d+$/.test(x) ? BigInt(x) : typeof x === "number" && Number.isSafeInteger(x) ? BigInt(x) : undefined);
  const first = b(d?.firstSampleNs);
  const last = b(d?.lastSampleNs);
  return first !== undefined && last !== undefined && first > 0n ? { first, last } : undefined;
}

/** Reads every profile of the run into per-end and per-machine rows. */
export async function readProfiles(plan: ProfilePlan, results: Map<string, Promise<ProfileOutcome>>, e: ProfileEnds): Promise<RunProfiles> {
  const notes: string[] = [];
  const outcomes = new Map<string, ProfileOutcome>();
  for (const [profiler, p] of results) outcomes.set(profiler, await p);
  for (const [profiler, o] of outcomes) {
    const span = "doc" in o ? sampleSpan(o.doc) : undefined;
    if (span === undefined) continue;
    const lateMs = Number(span.first - e.trafficNs.fromNs) / 1e6;
    const earlyMs = Number(e.trafficNs.toNs - span.last) / 1e6;
    // why: a 1 s tolerance covers a guest whose clock is up to 1 s off; beyond it the per-packet figures are low.
    if (lateMs > 1000) notes.push(`profile of ${profiler} started sampling ${Math.round(lateMs)} ms after the traffic was started: per-packet figures are low`);
    if (earlyMs > 1000) notes.push(`profile of ${profiler} stopped sampling ${Math.round(earlyMs)} ms before the traffic ended: per-packet figures are low`);
  }
  const outcomeOf = (agentId: string): EndInput["result"] => {
    const profiler = plan.byAgent.get(agentId);
    if (profiler === undefined) return { reason: plan.missing.get(agentId) ?? "unavailable: no profile asked for" };
    return outcomes.get(profiler) ?? { reason: "unavailable: no profile result" };
  };
  const end = (side: "server" | "client") => {
    const x = e[side];
    return endProfile({ side, role: x.role, agentId: x.agentId, profiledBy: plan.byAgent.get(x.agentId) ?? x.agentId, result: outcomeOf(x.agentId), pid: x.pid }, e.packets);
  };
  const ends = [end("server"), end("client")];
  const machines = [...outcomes.keys()].map((profiler) => machineProfile(profiler, outcomeOf(profiler), e.packets));
  return { ends, machines, notes };
}

export { measuredTerms };
