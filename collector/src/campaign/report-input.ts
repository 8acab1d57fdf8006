// Maps a stored campaign record onto the report's input (Gbit/s, per-packet
// microseconds, verdict labels). Pure.
import type { Summary } from "./stats.ts";
import type { CampaignRecord, CellRecord } from "./runner.ts";
import { changesName } from "./matrix.ts";
import { campaignDiagnosis } from "./explain-campaign.ts";
import type { CampaignDiagnosis } from "./explain.ts";
import { manifestFacts, type ManifestEnd } from "./report-manifest.ts";
import type { ReportCell, ReportInput, ThroughputStats, Verdict } from "./report-types.ts";

const G = 1e9;
const g = (x: number | null): number | null => (x === null ? null : x / G);

function stats(s: Summary, samples: readonly number[]): ThroughputStats {
  return {
    n: s.n,
    meanGbitS: (s.mean ?? 0) / G,
    stddevGbitS: (s.stddev ?? 0) / G,
    ciLowGbitS: g(s.ci_low),
    ciHighGbitS: g(s.ci_high),
    // the report draws outliers separately (hollow): samples here exclude them
    samplesGbitS: samples.filter((x) => !s.outliers.includes(x)).map((x) => x / G),
    outliersGbitS: s.outliers.map((x) => x / G),
  };
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function breakdownUs(c: CellRecord): ReportCell["breakdownUs"] {
  const term = (name: string) => mean(c.runs.map((r) => r.breakdown.breakdown.terms.find((t) => t.term === name)?.total_us ?? 0)) ?? 0;
  const measured = mean(c.runs.flatMap((r) => (r.breakdown.breakdown.measured_per_packet_us === null ? [] : [r.breakdown.breakdown.measured_per_packet_us])));
  const model = mean(c.runs.map((r) => r.breakdown.breakdown.model_per_packet_us)) ?? 0;
  return { copies: term("copies"), syscalls: term("syscalls"), exits: term("exits"), unexplained: measured === null ? 0 : measured - model, measuredPerPacketUs: measured, modelPerPacketUs: model };
}

function verdictOf(rec: CampaignRecord, c: CellRecord): ReportCell["verdict"] {
  if (c.cell.isBaseline) return { verdict: "baseline", deltaPct: null, reason: "the baseline" };
  const v = rec.verdicts[c.cell.id];
  if (!v) return { verdict: "inconclusive", deltaPct: null, reason: c.error ?? "no verdict: the cell or its baseline has no result" };
  const kind: Verdict = v.verdict;
  return { verdict: kind, deltaPct: v.delta_pct, reason: v.reason };
}

/** Both ends of the first cell with manifests (the baseline comes first), labelled server and client. */
function ends(rec: CampaignRecord): ManifestEnd[] {
  const c = rec.cells.find((x) => (x.result?.manifests.length ?? 0) > 0);
  if (!c?.result) return [];
  const role = (id: string) => (id === c.cell.run.server.agentId ? "server" : id === c.cell.run.client.agentId ? "client" : "agent");
  return c.result.manifests.map((m) => ({ role: role(m.agent_id), manifest: m }));
}

/** The runs' reason for having no exit count, when none has one (the model's exit_source of the first such run). */
function exitsReason(rec: CampaignRecord): string | undefined {
  const runs = rec.cells.flatMap((c) => c.runs);
  if (runs.some((r) => r.exitsPerPacket !== null)) return undefined;
  return runs.map((r) => r.breakdown.observed.exit_source).find((s) => typeof s === "string" && s !== "");
}

/** Epoch ns as a bigint: a record read back from JSON or the store may carry a number or a decimal string. */
function ns(x: unknown): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x === "number" && Number.isFinite(x)) return BigInt(Math.trunc(x));
  return typeof x === "string" && /^-?\d+$/.test(x) ? BigInt(x) : 0n;
}

/** The record's campaign diagnosis, else one made from its runs' findings; undefined when no run has findings. */
function diagnosisOf(rec: CampaignRecord): CampaignDiagnosis | undefined {
  if (rec.diagnosis) return rec.diagnosis;
  return rec.cells.some((c) => c.runs.some((r) => Array.isArray(r.findings))) ? campaignDiagnosis(rec) : undefined;
}

export function reportInput(rec: CampaignRecord): ReportInput {
  const first = rec.cells.find((c) => c.runs.length > 0)?.runs[0]?.breakdown;
  const d = diagnosisOf(rec);
  const explained = new Map((d?.cells ?? []).map((e) => [e.cell_id, { status: e.status, text: e.text }]));
  const cells: ReportCell[] = rec.cells
    .filter((c) => c.result !== null)
    .map((c) => {
      const r = c.result!;
      return {
        id: c.cell.id,
        name: c.cell.name,
        settings: c.cell.isBaseline ? "baseline" : changesName(c.cell.changes),
        throughput: stats(r.throughput, r.samples_bits_per_s),
        ...(r.directions ? { reverseThroughput: stats(r.directions.reverse, c.runs.map((x) => x.reverseBitsPerS ?? 0)) } : {}),
        verdict: verdictOf(rec, c),
        breakdownUs: breakdownUs(c),
        perPacket: { exits: mean(c.runs.flatMap((x) => (x.exitsPerPacket === null ? [] : [x.exitsPerPacket]))), cpuUs: mean(c.runs.flatMap((x) => (x.cpuUsPerPacket === null ? [] : [x.cpuUsPerPacket]))) },
        runIds: r.run_ids,
        ...(explained.has(c.cell.id) ? { explanation: explained.get(c.cell.id)! } : {}),
      };
    });
  return {
    campaign: { id: rec.id, name: rec.name, startedNs: ns(rec.startedNs), finishedNs: ns(rec.finishedNs ?? rec.startedNs), manifest: manifestFacts(ends(rec)) },
    ceilingGbitS: first?.ceiling.max_gbit_s ?? 0,
    modelVersion: first?.model_version ?? "",
    packetBytes: first?.constants.packet_bytes,
    ...(exitsReason(rec) === undefined ? {} : { exitsReason: exitsReason(rec) }),
    cells,
    ...(d ? { diagnosis: { summary: d.summary, baselines: Object.entries(d.baselines).map(([id, text]) => ({ id, text })) } } : {}),
  };
}
