// Runs a campaign: for each cell, snapshot and apply its settings on the
// agents (typed ApplySettings), repeat the run until the throughput's interval
// is tight enough or the maximum count is reached, and restore — also after a
// failure, a timeout or an abort — with the restore verified by the agents.
// Progress and the result are stored as a "campaign" record after every cell.
import { randomUUID } from "node:crypto";
import { EastwestError, errorMessage, nowNs, type Logger } from "@eastwest/common";
import { SPAN_ATTR, failSpan, inSpan, tracedCommands, type CommandSender } from "@eastwest/common/telemetry";
import type { Sessions } from "../control/sessions.ts";
import type { ModelConstants } from "../model/cost-model.ts";
import type { Store } from "../store/types.ts";
import { executeRun, type RunRecord } from "../run/runner.ts";
import type { RunSpec } from "../run/types.ts";
import { iperf3VersionOf, manifestOf } from "./collect.ts";
import { brief, type BriefFinding, type CampaignDiagnosis } from "./explain.ts";
import { campaignDiagnosis } from "./explain-campaign.ts";
import { runTermsOf, type RunTerms } from "./explain-terms.ts";
import type { Manifest } from "./manifest.ts";
import { expandCells, settingsByAgent, toWireSetting } from "./matrix.ts";
import { specDigest } from "./spec.ts";
import { needMore, summarize } from "./stats.ts";
import type { CampaignResult, CampaignSpec, Cell, CellResult } from "./types.ts";
import { baselineVerdicts, campaignVerdict, type CampaignVerdict, type CellVerdict } from "./verdict.ts";
import type { ClockSource } from "../clock/clocks.ts";

export class CampaignError extends EastwestError {}

export interface RestoreCheck {
  agentId: string;
  ok: boolean;
  verified: boolean;
  detail: string;
}

export interface CellRecord {
  cell: Cell;
  result: CellResult | null;
  /** Per-run summary for the report: model breakdown and per-packet figures of each run. */
  runs: Array<{ id: string; bitsPerS: number; reverseBitsPerS: number | null; breakdown: RunRecord["results"]["model"]; exitsPerPacket: number | null; cpuUsPerPacket: number | null; findings?: BriefFinding[]; terms?: RunTerms }>;
  restores: RestoreCheck[];
  error: string | null;
  startedNs: bigint;
  finishedNs: bigint;
}

export interface CampaignRecord {
  id: string;
  name: string;
  spec: CampaignSpec;
  spec_digest: string;
  status: "running" | "done" | "failed" | "aborted";
  error: string | null;
  startedNs: bigint;
  finishedNs: bigint | null;
  cellsTotal: number;
  cells: CellRecord[];
  verdicts: Record<string, CellVerdict>;
  /** Against the newest earlier campaign of the same spec, when there is one. */
  comparison: { previousId: string; verdict: CampaignVerdict } | null;
  /** Each cell's findings against its baseline's (explain.ts); set when the campaign ends, or on read for older records. */
  diagnosis?: CampaignDiagnosis;
}

export interface Progress {
  cellsDone: number;
  cellsTotal: number;
  cell: string;
  runsInCell: number;
  etaS: number | null;
  message: string;
}

export interface CampaignDeps {
  sessions: Sessions;
  store: Store;
  logger: Logger;
  constants: ModelConstants;
  observers?: string[];
  /** The agents' clock offsets, for the runs' windows. */
  clocks?: ClockSource;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  id?: string;
}

function runSpecOf(cell: Cell): RunSpec {
  const r = cell.run;
  return {
    id: randomUUID(),
    server: r.server,
    client: r.client,
    serverAddress: r.serverAddress,
    port: r.port,
    durationS: r.durationS,
    streams: r.streams,
    lengthBytes: r.lengthBytes,
    congestion: r.congestion,
    reverse: r.direction === "reverse",
    bidir: r.direction === "bidir",
    sampleIntervalMs: r.sampleIntervalMs,
    ...(r.profile === false ? { profile: false } : {}),
  };
}

export function toCampaignResult(rec: CampaignRecord): CampaignResult {
  return { campaign_id: rec.id, name: rec.name, spec_digest: rec.spec_digest, cells: rec.cells.flatMap((c) => (c.result ? [c.result] : [])) };
}

/** Traced as span "campaign" (campaign.id), a child span "cell" per cell, and one per apply/restore command. */
export function runCampaign(spec: CampaignSpec, deps: CampaignDeps): Promise<CampaignRecord> {
  const id = deps.id ?? randomUUID();
  return inSpan("campaign", { [SPAN_ATTR.campaignId]: id }, async (span) => {
    const rec = await campaign(spec, { ...deps, id });
    if (rec.status === "failed") failSpan(span, rec.error ?? "failed");
    return rec;
  });
}

async function campaign(spec: CampaignSpec, deps: CampaignDeps & { id: string }): Promise<CampaignRecord> {
  const cells = expandCells(spec);
  const rec: CampaignRecord = { id: deps.id, name: spec.name, spec, spec_digest: specDigest(spec), status: "running", error: null, startedNs: nowNs(), finishedNs: null, cellsTotal: cells.length, cells: [], verdicts: {}, comparison: null };
  await deps.store.putRecord("campaign", rec.id, rec);
  const started = Date.now();
  for (const cell of cells) {
    if (deps.signal?.aborted) {
      rec.status = "aborted";
      break;
    }
    const cr = await inSpan("cell", { [SPAN_ATTR.campaignId]: rec.id, [SPAN_ATTR.cellId]: cell.id }, async (span) => {
      const r = await runCell(cell, spec, deps, rec, started);
      if (r.error) failSpan(span, r.error);
      return r;
    });
    rec.cells.push(cr);
    if (cr.restores.some((r) => !r.ok || !r.verified)) {
      rec.status = "failed";
      rec.error = `cell ${cell.id}: settings not verified restored on ${cr.restores.filter((r) => !r.verified).map((r) => r.agentId).join(", ")}: stopping`;
      break;
    }
    await deps.store.putRecord("campaign", rec.id, rec);
  }
  if (rec.status === "running") rec.status = rec.cells.some((c) => c.error) ? "failed" : "done";
  if (rec.status === "failed" && !rec.error) rec.error = rec.cells.filter((c) => c.error).map((c) => `${c.cell.id}: ${c.error}`).join("; ");
  rec.verdicts = baselineVerdicts(cells, toCampaignResult(rec), { min_n: spec.repetitions.min });
  rec.comparison = await compareWithPrevious(deps.store, rec);
  rec.diagnosis = campaignDiagnosis(rec);
  rec.finishedNs = nowNs();
  await deps.store.putRecord("campaign", rec.id, rec);
  return rec;
}

async function runCell(cell: Cell, spec: CampaignSpec, deps: CampaignDeps, rec: CampaignRecord, startedMs: number): Promise<CellRecord> {
  const cr: CellRecord = { cell, result: null, runs: [], restores: [], error: null, startedNs: nowNs(), finishedNs: nowNs() };
  const token = `${rec.id}:${cell.id}`;
  const actions = tracedCommands(deps.sessions, { [SPAN_ATTR.campaignId]: rec.id, [SPAN_ATTR.cellId]: cell.id });
  const groups = settingsByAgent(cell);
  const applied: string[] = [];
  const progress = (message: string) => {
    const done = rec.cells.length;
    const perCell = done > 0 ? (Date.now() - startedMs) / done : null;
    deps.onProgress?.({ cellsDone: done, cellsTotal: rec.cellsTotal, cell: cell.id, runsInCell: cr.runs.length, etaS: perCell === null ? null : Math.round((perCell * (rec.cellsTotal - done)) / 1000), message });
  };
  const samples: number[] = [];
  const manifests: Manifest[] = [];
  try {
    for (const g of groups) {
      progress(`cell ${cell.id}: applying ${g.settings.length} setting(s) on ${g.agentId}`);
      applied.push(g.agentId);
      const r = await actions.command(g.agentId, { $case: "applySettings", value: { settings: g.settings.map(toWireSetting), token } }, 30_000);
      if (!r.ok) throw new CampaignError(`apply on ${g.agentId} failed: ${r.error}`);
    }
    let iperfVersion: string | null = null;
    while (needMore(samples, spec.repetitions)) {
      if (deps.signal?.aborted) throw new CampaignError("aborted");
      progress(`cell ${cell.id}: run ${samples.length + 1}`);
      const run = await executeRun(runSpecOf(cell), { sessions: deps.sessions, store: deps.store, logger: deps.logger, constants: deps.constants, observers: deps.observers, clocks: deps.clocks });
      iperfVersion ??= iperf3VersionOf(run.iperf3.client);
      samples.push(run.results.throughput.iperf3_receiver_bits_per_s);
      cr.runs.push(runSummary(run));
    }
    for (const a of [cell.run.server.agentId, cell.run.client.agentId]) manifests.push(await manifestOf(deps.store, a, iperfVersion));
  } catch (err) {
    cr.error = errorMessage(err);
    deps.logger.warn({ cell: cell.id, err: cr.error }, "campaign cell failed");
  } finally {
    for (const agentId of applied) cr.restores.push(await restore(actions, agentId, token));
  }
  cr.result = samples.length === 0 ? null : cellResult(cell, samples, cr, manifests, spec);
  cr.finishedNs = nowNs();
  progress(`cell ${cell.id}: ${cr.error ? `failed: ${cr.error}` : `${samples.length} run(s)`}`);
  return cr;
}

/** The run's measured terms per end (its CPU profile), when it has them. */
function withTerms(run: RunRecord): { terms?: RunTerms } {
  const terms = runTermsOf(run);
  return terms ? { terms } : {};
}

function runSummary(run: RunRecord): CellRecord["runs"][number] {
  const r = run.results;
  const exits = r.model.breakdown.terms.find((t) => t.term === "exits");
  const packetsPerS = r.throughput.iperf3_receiver_bits_per_s / 8 / r.model.constants.packet_bytes;
  const cpuPct = (r.server.cpu.busy_pct ?? 0) + (r.client.cpu.busy_pct ?? 0);
  return {
    id: run.id,
    bitsPerS: r.throughput.iperf3_receiver_bits_per_s,
    reverseBitsPerS: r.iperf3.bidir_reverse_bits_per_s,
    breakdown: r.model,
    exitsPerPacket: exits && exits.source === "observed" ? exits.count : null,
    // CPU time (both ends, all CPUs' busy share) per 64 KiB packet, us; null without CPU samples.
    cpuUsPerPacket: packetsPerS > 0 && (r.server.cpu.samples > 0 || r.client.cpu.samples > 0) ? (cpuPct / 100 / packetsPerS) * 1e6 : null,
    ...(run.diagnosis ? { findings: brief(run.diagnosis) } : {}),
    ...withTerms(run),
  };
}

function cellResult(cell: Cell, samples: number[], cr: CellRecord, manifests: Manifest[], spec: CampaignSpec): CellResult {
  const conf = spec.repetitions.confidence;
  const reverse = cr.runs.map((r) => r.reverseBitsPerS).filter((x): x is number => x !== null);
  const directions = cell.run.direction === "bidir" && reverse.length === samples.length ? { forward: summarize(samples, conf), reverse: summarize(reverse, conf) } : null;
  return { cell_id: cell.id, samples_bits_per_s: samples, throughput: summarize(samples, conf), directions, manifests, run_ids: cr.runs.map((r) => r.id) };
}

async function restore(sessions: CommandSender, agentId: string, token: string): Promise<RestoreCheck> {
  try {
    const r = await sessions.command(agentId, { $case: "restoreSettings", value: { token } }, 60_000);
    if (!r.ok) return { agentId, ok: false, verified: false, detail: r.error };
    const doc = JSON.parse(r.json) as { verified?: boolean; settings?: Array<{ verified?: boolean }> };
    const verified = doc.verified ?? (doc.settings ?? []).every((s) => s.verified !== false);
    return { agentId, ok: true, verified, detail: r.json.slice(0, 2000) };
  } catch (err) {
    return { agentId, ok: false, verified: false, detail: errorMessage(err) };
  }
}

async function compareWithPrevious(store: Store, rec: CampaignRecord): Promise<CampaignRecord["comparison"]> {
  const earlier = (await store.listRecords("campaign", 50)).map((r) => r.doc as CampaignRecord).filter((d) => d.id !== rec.id && d.spec_digest === rec.spec_digest && d.status === "done");
  const prev = earlier[0];
  return prev ? { previousId: prev.id, verdict: campaignVerdict(toCampaignResult(prev), toCampaignResult(rec), { min_n: rec.spec.repetitions.min }) } : null;
}
