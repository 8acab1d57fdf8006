// Orchestrates one traffic run: raise sampling on the agents, watch the flow,
// start iperf3 server and client on their agents, wait for samples after the
// traffic, then correlate what the store holds for the window with iperf3's
// own figures and the cost model. The run record is stored and returned.
import { randomUUID } from "node:crypto";
import { EastwestError, errorMessage, nowNs, type Logger } from "@eastwest/common";
import { SPAN_ATTR, inSpan, tracedCommands, type CommandSender } from "@eastwest/common/telemetry";
import type { Command, CommandResult } from "@eastwest/proto";
import type { Sessions } from "../control/sessions.ts";
import type { Store } from "../store/types.ts";
import type { ModelConstants } from "../model/cost-model.ts";
import type { EndpointData, RunSpec, Window } from "./types.ts";
import { correlate } from "./correlate.ts";
import { parseIperf3 } from "./iperf3.parse.ts";
import { runPoints } from "./points.ts";
import { liveMarker, windowPoint, writeRunPoints } from "./window.ts";
import { exitObservation, modelExits, perfExits } from "./exits.ts";
import { exitReasonRows, hostSide, type HostSide } from "./hostside.ts";
import type { ClockSource } from "../clock/clocks.ts";
import { PROFILE_LEAD_MS, PROFILE_TAIL_MS, noProfiles, planProfiles, profileLead, readProfiles, startProfiles } from "./profile-run.ts";
import { iperfOnCollectorClock, onAgentClock, planClocks, toCollectorClock, widened, type ClockPlan, type RunClock } from "./clock.ts";
import { diagnose } from "../diagnosis/engine.ts";
import { loadRunSamples } from "../diagnosis/load.ts";
import { diagnosisPoints } from "../diagnosis/points.ts";
import type { Diagnosis } from "../diagnosis/types.ts";

export class RunError extends EastwestError {}

export { RUNS_WRITER } from "./window.ts";

export interface RunnerDeps {
  sessions: Sessions;
  store: Store;
  logger: Logger;
  constants: ModelConstants;
  /** Extra agents whose sampling is raised for the window (e.g. the host's). */
  observers?: string[];
  onProgress?: (msg: string) => void;
  /** The agents' clock offsets; the run's windows are corrected by them (clock.ts). */
  clocks?: ClockSource;
}

export interface RunRecord {
  id: string;
  spec: RunSpec;
  agents: string[];
  window: Window;
  startedNs: bigint;
  finishedNs: bigint;
  results: ReturnType<typeof correlate>;
  /** PMU, memory bandwidth and exit reasons from the host agents carrying the run. */
  hostSide: HostSide;
  /** The agents' clock offsets and what was applied to their samples (clock.ts). */
  clock?: RunClock;
  iperf3: { client: unknown; server: unknown };
  /** The findings of diagnosis/ over the results and the window's samples. */
  diagnosis?: Diagnosis;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function resultJson(r: CommandResult, what: string): unknown {
  if (!r.ok) throw new RunError(`${what} failed: ${r.error}`);
  try {
    return JSON.parse(r.json);
  } catch (err) {
    throw new RunError(`${what}: result is not JSON: ${errorMessage(err)}`);
  }
}

/** iperf3's pid in an agent's iperf3 result ({"iperf3": {...}, "pid": n}); null when absent or unreadable. */
function pidOf(r: CommandResult): number | null {
  try {
    const pid = r.ok ? (JSON.parse(r.json) as { pid?: unknown }).pid : undefined;
    return typeof pid === "number" && Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The raw iperf3 document inside an agent's result ({"iperf3": {...}}). */
function iperfDoc(doc: unknown): unknown {
  return typeof doc === "object" && doc !== null && "iperf3" in doc ? (doc as { iperf3: unknown }).iperf3 : doc;
}

export function defaultSpec(partial: Partial<RunSpec> & Pick<RunSpec, "server" | "client" | "serverAddress">): RunSpec {
  return { id: randomUUID(), port: 5201, durationS: 10, streams: 1, lengthBytes: 0, congestion: "", reverse: false, sampleIntervalMs: 200, live: false, ...partial };
}

/** Traced as span "run" (run.id), with a child span per agent command. */
export function executeRun(spec: RunSpec, deps: RunnerDeps): Promise<RunRecord> {
  return inSpan("run", { [SPAN_ATTR.runId]: spec.id }, () => execute(spec, deps));
}

async function execute(spec: RunSpec, deps: RunnerDeps): Promise<RunRecord> {
  const sessions = tracedCommands(deps.sessions, { [SPAN_ATTR.runId]: spec.id });
  const progress = deps.onProgress ?? (() => undefined);
  const agents = [...new Set([spec.server.agentId, spec.client.agentId, ...(deps.observers ?? [])])];
  for (const a of agents) await deps.sessions.waitFor(a, 15_000);
  const holdMs = (spec.durationS + 30) * 1000;
  progress(`run ${spec.id}: sampling every ${spec.sampleIntervalMs} ms on ${agents.join(", ")}`);
  await Promise.all(agents.map((a) => expectOk(sessions.command(a, { $case: "setInterval", value: { sampler: "", intervalMs: spec.sampleIntervalMs, forMs: holdMs } }, 10_000), `set interval on ${a}`)));
  await Promise.all(
    [spec.server.agentId, spec.client.agentId].map((a) =>
      expectOk(sessions.command(a, { $case: "watchFlows", value: { flows: [{ port: spec.port, address: "" }], forMs: holdMs } }, 10_000), `watch flows on ${a}`),
    ),
  );
  // why: the netdev delta must start from a sample taken before the traffic.
  await sleep(spec.sampleIntervalMs * 3);
  const holdNotes: string[] = [];
  const held = spec.live === true ? [] : await holdSamples(sessions, agents, holdMs, holdNotes, progress);
  const ids = { runId: spec.id, serverAgentId: spec.server.agentId, clientAgentId: spec.client.agentId };
  const marker = await liveMarker(deps.store, ids, deps.logger);
  const traffic = await runTraffic(spec, deps, sessions, holdMs, progress).finally(() => Promise.all([marker.stop(), releaseSamples(sessions, held, holdNotes)]));
  const { startedNs, hostAgents, exitReasonCmds, clientRes, serverRes, profiling } = traffic;
  const reasonDocs = await Promise.all(exitReasonCmds.map(async (c) => ({ agentId: c.agentId, doc: await c.result.then((r) => (r.ok ? JSON.parse(r.json) : { available: false, reason: r.error }), (err: unknown) => ({ available: false, reason: errorMessage(err) })) })));
  const clientDoc = iperfDoc(resultJson(clientRes, "iperf3 client"));
  const serverDoc = serverRes.ok ? iperfDoc(resultJson(serverRes, "iperf3 server")) : undefined;
  const finishedNs = nowNs();
  // why: and end at a sample taken after the traffic; wait until both agents' samples past the end are stored.
  const clock = planClocks([spec.server.agentId, spec.client.agentId], deps.clocks && ((a) => (deps.clocks as ClockSource).estimate(a)));
  const window: Window = widened({ fromNs: startedNs - BigInt(spec.sampleIntervalMs * 2) * 1_000_000n, toNs: finishedNs + BigInt(spec.sampleIntervalMs * 2) * 1_000_000n }, clock);
  for (const a of [spec.server.agentId, spec.client.agentId]) await waitForSamples(deps.store, [a], onAgentClock(window, clock, a).toNs, 15_000);
  const [serverData, clientData] = await Promise.all([correctedData(deps.store, spec.server.agentId, window, clock), correctedData(deps.store, spec.client.agentId, window, clock)]);
  const iperf = iperfOnCollectorClock(parseIperf3(clientDoc), clock, spec.client.agentId);
  const iperfServer = serverDoc ? iperfOnCollectorClock(parseIperf3(serverDoc), clock, spec.server.agentId) : undefined;
  const payload = iperf.received.bytes;
  const serverSends = spec.reverse && spec.bidir !== true;
  const profile = await readProfiles(profiling.plan, profiling.results, {
    server: { agentId: spec.server.agentId, role: serverSends ? "sender" : "receiver", pid: pidOf(serverRes) },
    client: { agentId: spec.client.agentId, role: serverSends ? "receiver" : "sender", pid: pidOf(clientRes) },
    packets: deps.constants.packet_bytes > 0 ? payload / deps.constants.packet_bytes : 0,
    trafficNs: profiling.trafficNs,
  });
  const reasonNotes: string[] = [];
  const reasonRows = exitReasonRows(reasonDocs, payload, deps.constants.packet_bytes, reasonNotes);
  const exits = await exitObservation(deps.store, [spec.server.agentId, spec.client.agentId], window, perfExits(reasonRows));
  const host = await hostSide(deps.store, [...new Set([...hostAgents, ...exits.hostAgents])], window, payload, exits.vms);
  host.exitReasons = reasonRows;
  host.notes.push(...reasonNotes);
  const bytesMoved = host.membw?.perPayloadByte != null ? { perPayloadByte: host.membw.perPayloadByte, source: `${host.membw.source} memory-bandwidth counters` } : undefined;
  const results = correlate({ spec, window, iperf, iperfServer, server: serverData, client: clientData, constants: deps.constants, exits: modelExits(exits), bytesMoved, profile });
  results.warnings.push(...holdNotes, ...clock.warnings, ...profile.notes.map((n) => `profile: ${n}`));
  for (const n of exits.notes) results.warnings.push(`exits: ${n}`);
  for (const n of host.notes) results.warnings.push(`host: ${n}`);
  const record: RunRecord = { id: spec.id, spec, agents, window, startedNs, finishedNs, results, hostSide: host, clock: clock.record, iperf3: { client: clientDoc, server: serverDoc } };
  record.diagnosis = diagnose(record, await loadRunSamples(deps.store, record));
  await deps.store.putRecord("run", spec.id, record);
  // The run's figures also go in as points (run, run_endpoint, cost_breakdown, run_window, diagnosis) for dashboards.
  await writeRunPoints(deps.store, [...runPoints(results), windowPoint(ids, window), ...diagnosisPoints(spec.id, record.diagnosis, window.toNs)], deps.logger, `run ${spec.id} points`);
  progress(`run ${spec.id}: stored`);
  return record;
}

/** iperf3 server and client on their agents (and perf kvm stat on the host agents); either failing stops the other. */
async function runTraffic(spec: RunSpec, deps: RunnerDeps, sessions: CommandSender, holdMs: number, progress: (msg: string) => void) {
  const startedNs = nowNs();
  progress(`run ${spec.id}: iperf3 ${spec.client.agentId} -> ${spec.server.agentId} (${spec.serverAddress}:${spec.port}) for ${spec.durationS} s`);
  const hostAgents = await runHostAgents(deps, [spec.server.agentId, spec.client.agentId]);
  const exitReasonCmds = hostAgents.map((agentId) => ({ agentId, result: sessions.command(agentId, { $case: "collectExitReasons", value: { durationMs: spec.durationS * 1000, pids: [] } }, spec.durationS * 1000 + 90_000) }));
  const plan = spec.profile === false ? noProfiles([spec.server.agentId, spec.client.agentId]) : await planProfiles(deps.store, (id) => deps.sessions.isConnected(id), [spec.server.agentId, spec.client.agentId, ...hostAgents]);
  const profiles = startProfiles(sessions, plan, spec.durationS * 1000 + PROFILE_LEAD_MS + PROFILE_TAIL_MS);
  await profileLead(profiles, PROFILE_LEAD_MS);
  const trafficFromNs = nowNs();
  const server = commandWithCancel(sessions, spec.server.agentId, { $case: "iperf3Server", value: { port: spec.port, bind: spec.serverAddress, oneOffTimeoutMs: holdMs } }, holdMs + 5000);
  const client = commandWithCancel(
    sessions,
    spec.client.agentId,
    { $case: "iperf3Client", value: { server: spec.serverAddress, port: spec.port, durationS: spec.durationS, streams: spec.streams, lengthBytes: spec.lengthBytes, congestion: spec.congestion, reverse: spec.reverse, bidir: spec.bidir ?? false } },
    holdMs,
  );
  // why: a server that fails (port taken) must stop the client at once, and the reverse.
  const serverFailed = server.result.then((r) => (r.ok ? undefined : r.error), (err: unknown) => errorMessage(err));
  const first = await Promise.race([client.result.then((r) => ({ who: "client" as const, r }), (err: unknown) => ({ who: "client" as const, err })), serverFailed.then((e) => (e === undefined ? new Promise<never>(() => undefined) : { who: "server" as const, e }))]);
  if (first.who === "server") {
    await client.cancel();
    throw new RunError(`run ${spec.id}: iperf3 server on ${spec.server.agentId} failed: ${first.e}`);
  }
  if ("err" in first || !first.r.ok) {
    await server.cancel();
    const why = "err" in first ? errorMessage(first.err) : first.r.error;
    throw new RunError(`run ${spec.id}: iperf3 client on ${spec.client.agentId} failed: ${why}`);
  }
  const clientRes = first.r;
  const serverRes = await server.result.catch((err: unknown) => {
    throw new RunError(`run ${spec.id}: iperf3 server on ${spec.server.agentId} failed: ${errorMessage(err)}`);
  });
  const profiling = { plan, results: profiles, trafficNs: { fromNs: trafficFromNs, toNs: nowNs() } };
  return { startedNs, hostAgents, exitReasonCmds, clientRes, serverRes, profiling };
}

/**
 * Asks each agent to hold its samples for up to forMs; returns those that do. An agent that cannot (an older one)
 * keeps streaming, and the run says so in its warnings.
 */
async function holdSamples(sessions: CommandSender, agents: readonly string[], forMs: number, notes: string[], progress: (msg: string) => void): Promise<string[]> {
  const results = await Promise.all(agents.map(async (a) => ({ a, r: await holdCommand(sessions, a, forMs) })));
  for (const { a, r } of results) if (!r.ok) notes.push(`hold: ${a} streamed its samples during the traffic (hold failed: ${r.error})`);
  const held = results.filter(({ r }) => r.ok).map(({ a }) => a);
  if (held.length > 0) progress(`run: ${held.join(", ")} hold samples until the traffic is over`);
  return held;
}

/** The hold command (forMs 0: release); a failure to send it is an answer with its error. */
function holdCommand(sessions: CommandSender, agentId: string, forMs: number): Promise<{ ok: boolean; error: string }> {
  return sessions.command(agentId, { $case: "hold", value: { forMs } }, 10_000).catch((err: unknown) => ({ ok: false, error: errorMessage(err) }));
}

/** Ends the hold on each agent that holds: they decode and send what they captured. */
async function releaseSamples(sessions: CommandSender, agents: readonly string[], notes: string[]): Promise<void> {
  await Promise.all(
    agents.map(async (a) => {
      const r = await holdCommand(sessions, a, 0);
      // why: the hold also ends by itself when its time is over; the samples then arrive late, or after the wait.
      if (!r.ok) notes.push(`hold: could not end the hold on ${a} (${r.error}); its samples come when its hold time is over`);
    }),
  );
}

/** Host agents that observe the run: observers with role host, and the hosts of the run's guests' VMs (KVM counters or not). */
async function runHostAgents(deps: RunnerDeps, runAgents: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const id of deps.observers ?? []) if ((await deps.store.getAgent(id))?.role === "host") out.add(id);
  for (const id of runAgents) {
    const a = await deps.store.getAgent(id);
    if (a?.role !== "guest" || !a.machineUuid) continue;
    for (const measurement of ["vm_info", "vm_kvm"]) {
      for (const r of await deps.store.latest({ measurement, tags: { vm_uuid: a.machineUuid.toLowerCase() } })) if (r.tags["agent_id"]) out.add(r.tags["agent_id"]);
    }
  }
  return [...out].filter((id) => deps.sessions.isConnected(id));
}

async function expectOk(p: Promise<CommandResult>, what: string): Promise<void> {
  const r = await p;
  if (!r.ok) throw new RunError(`${what} failed: ${r.error}`);
}

/** Sends a command and gives a way to abort it on the agent. */
function commandWithCancel(sessions: CommandSender, agentId: string, kind: Command["kind"], deadlineMs: number): { result: Promise<CommandResult>; cancel: () => Promise<void> } {
  const sent = sessions.commandWithId(agentId, kind, deadlineMs);
  return {
    result: sent.result,
    cancel: async () => {
      await sessions.command(agentId, { $case: "cancel", value: { commandId: sent.id } }, 5000).catch(() => undefined);
      await sent.result.catch(() => undefined);
    },
  };
}

async function waitForSamples(store: Store, agentIds: string[], afterNs: bigint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const agentId of agentIds) {
    for (;;) {
      const rows = await store.latest({ measurement: "netdev", tags: { agent_id: agentId } });
      if (rows.some((r) => r.timeNs >= afterNs)) break;
      if (Date.now() > deadline) throw new RunError(`no samples from ${agentId} after the run within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** An agent's data over the window read on its clock, its times moved onto the collector's. */
async function correctedData(store: Store, agentId: string, w: Window, clock: ClockPlan): Promise<EndpointData> {
  return toCollectorClock(await endpointData(store, agentId, onAgentClock(w, clock, agentId)), clock);
}

async function endpointData(store: Store, agentId: string, w: Window): Promise<EndpointData> {
  const q = (measurement: string, tags: Record<string, string> = {}) => store.query({ measurement, fromNs: w.fromNs, toNs: w.toNs, tags: { agent_id: agentId, ...tags } });
  const [netdev, cpu, tcp, flows] = await Promise.all([q("netdev"), q("cpu", { cpu: "all" }), q("tcp"), q("tcp_flow")]);
  return { agentId, netdev, cpu, tcp, flows };
}
