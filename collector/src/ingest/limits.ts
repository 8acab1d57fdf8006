// What one agent (or anything that speaks the protocol) may make the collector hold: the `limits` section of the
// collector's config. Each limit has a name; what exceeds one is refused whole with that name in the reason
// ("limit maxFieldsPerPoint: ..."), counted per name in PipelineStats.refusedByLimit, and never stored.
//
// Where each is enforced:
//   maxMessageBytes            gRPC: grpc-js refuses a larger frame (RESOURCE_EXHAUSTED, before it is read);
//                              NATS: the receiver terminates a larger message
//   maxHelloBytes, maxHelloFieldLength
//                              decodeAgentMessage / validateHello (gRPC), the hello responder (NATS)
//   maxPointsPerBatch, maxMeasurementsPerBatch, maxTagsPerPoint, maxFieldsPerPoint, maxTagValueLength,
//   maxStringFieldLength       decode and validation of a batch
//   maxNewSeriesPerBatch, maxSeriesPerAgent
//                              SeriesLimiter, after validation (series this collector process has seen per agent)
//   maxAgents                  the registry: a new agent id is refused once this many are known
//   maxSeqAhead                seq-guard.ts: a batch this far above its agent's highest seq is refused (code seq-ahead)
import { z } from "zod";
import { EastwestError, type EnvBinding } from "@eastwest/common";

export const LIMIT_NAMES = [
  "maxMessageBytes",
  "maxHelloBytes",
  "maxHelloFieldLength",
  "maxPointsPerBatch",
  "maxMeasurementsPerBatch",
  "maxTagsPerPoint",
  "maxFieldsPerPoint",
  "maxTagValueLength",
  "maxStringFieldLength",
  "maxNewSeriesPerBatch",
  "maxSeriesPerAgent",
  "maxAgents",
  "maxSeqAhead",
] as const;

export type LimitName = (typeof LIMIT_NAMES)[number];
export type IngestLimits = Record<LimitName, number>;

/**
 * Generous for real fleets: an agent's batch is at most batch.maxPoints (500) points, about 50 KB; a 64-CPU host
 * with dozens of interfaces and a hundred VMs has a few thousand series.
 */
export const DEFAULT_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxMessageBytes: 4 * 1024 * 1024,
  maxHelloBytes: 256 * 1024,
  maxHelloFieldLength: 1024,
  maxPointsPerBatch: 20_000,
  maxMeasurementsPerBatch: 64,
  maxTagsPerPoint: 32,
  maxFieldsPerPoint: 256,
  maxTagValueLength: 256,
  maxStringFieldLength: 4096,
  maxNewSeriesPerBatch: 10_000,
  maxSeriesPerAgent: 100_000,
  maxAgents: 10_000,
  maxSeqAhead: 100_000,
});

/**
 * The config's maxQueuedPoints (flow control, not a limit: nothing is refused; see ingestor.ts): points in the
 * ingest pipeline at most: about a second of what one collector stores at its most (docs/performance.md, Fleet).
 */
export const MAX_QUEUED_POINTS = 100_000;

/**
 * The config's maxGroupPoints: points in one group commit at most (ingestor.ts). why 5,000: a commit is one
 * synchronous write on the ingest thread (about 12 us a point), which the HTTP API and every stream wait for. 600
 * simulated hosts into one collector, two runs each: the longest store write 191-267 ms at 5,000 against 607-682 at
 * 50,000, `GET /api/v1/agents` p99 539-660 against 1,005-1,324 ms, the same values stored a second (within 4 %).
 */
export const MAX_GROUP_POINTS = 5_000;

const positive = z.number().int().min(1);
export const limitsSchema = z
  .object(Object.fromEntries(LIMIT_NAMES.map((n) => [n, positive])) as Record<LimitName, typeof positive>)
  .strict()
  .refine((l) => l.maxHelloBytes <= l.maxMessageBytes, { path: ["maxHelloBytes"], message: "must be <= maxMessageBytes" });

const snake = (n: string) => n.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase().replace(/^_/, "");

/** EASTWEST_LIMIT_MAX_MESSAGE_BYTES ... one per limit. */
export const LIMITS_ENV: readonly EnvBinding[] = LIMIT_NAMES.map((n) => ({ name: `EASTWEST_LIMIT_${snake(n)}`, path: ["limits", n], type: "number" }));

/** Something exceeded a limit; the message starts with "limit <name>: ". */
export class LimitExceeded extends EastwestError {
  readonly limit: LimitName;
  constructor(limit: LimitName, detail: string) {
    super(`limit ${limit}: ${detail}`);
    this.limit = limit;
  }
}

export type LimitCounts = Record<LimitName, bigint>;

export function newLimitCounts(): LimitCounts {
  return Object.fromEntries(LIMIT_NAMES.map((n) => [n, 0n])) as LimitCounts;
}

/** FNV-1a, 32 bits: a series is remembered by its key's hash; a collision only lets a new series pass as known. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The series each agent has sent since this collector process started (by key hash, about 10 bytes each), so
 * that a batch may bring at most maxNewSeriesPerBatch new ones and an agent at most maxSeriesPerAgent in all.
 * Forgotten at restart: the totals are per collector process. Bounded by maxAgents x maxSeriesPerAgent.
 */
export class SeriesLimiter {
  readonly #limits: IngestLimits;
  readonly #seen = new Map<string, Set<number>>();

  constructor(limits: IngestLimits) {
    this.#limits = limits;
  }

  /** Remembers the batch's series, or refuses it (remembering none) with the limit it exceeds. */
  admit(agentId: string, series: readonly string[]): LimitExceeded | undefined {
    const seen = this.#seen.get(agentId) ?? new Set<number>();
    const fresh = new Set<number>();
    for (const key of series) {
      const h = hash32(key);
      if (!seen.has(h)) fresh.add(h);
    }
    const { maxNewSeriesPerBatch: perBatch, maxSeriesPerAgent: total } = this.#limits;
    if (fresh.size > perBatch) return new LimitExceeded("maxNewSeriesPerBatch", `batch brings ${fresh.size} new series, limit ${perBatch}`);
    if (seen.size + fresh.size > total) return new LimitExceeded("maxSeriesPerAgent", `agent would have ${seen.size + fresh.size} series, limit ${total}`);
    if (fresh.size === 0) return undefined;
    for (const h of fresh) seen.add(h);
    this.#seen.set(agentId, seen);
    return undefined;
  }
}

const LIMIT_IN_TEXT = /limit (max[A-Za-z]+):/;
const NAMES: ReadonlySet<string> = new Set(LIMIT_NAMES);

/** The limit a refusal reason names ("... limit maxFieldsPerPoint: ..."), if any. */
export function limitOf(text: string): LimitName | undefined {
  const m = LIMIT_IN_TEXT.exec(text);
  return m && NAMES.has(m[1] as string) ? (m[1] as LimitName) : undefined;
}
