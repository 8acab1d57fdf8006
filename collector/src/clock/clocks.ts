// Every agent's clock estimate (filter.ts), in memory, fed by the receivers: over gRPC by ClockProbe round trips on
// the agent's stream, over NATS by its hello request/reply round trips (every nats.helloEveryMs, 30 s by default).
// The API shows it per agent (clockOffsetMs, clockUncertaintyMs: null with clock.reason when unknown), runs
// correct their windows by it (run/clock.ts), and the replies tell the agent.
import { stampNs, ThrottledLog, type Logger } from "@eastwest/common";
import type { ClockEstimate, ClockExchange } from "@eastwest/proto";
import { ClockFilter, type Estimate } from "./filter.ts";

/** Runs warn when an agent's |offset| exceeds this (ms), or when its offset is unknown. */
export const CLOCK_BOUND_MS = 100;

export type ClockVia = "grpc" | "nats";

/** An agent's clock as the API shows it. */
export interface AgentClock {
  /** The agent's clock minus the collector's, ms; null when unknown. */
  clockOffsetMs: number | null;
  /** The true offset lies within clockOffsetMs +- this, ms; null when unknown. */
  clockUncertaintyMs: number | null;
  clock: { known: boolean; reason?: string; via?: ClockVia; delayMs?: number; samples?: number; ageMs?: number; boundMs: number; refused: number; lastRefusal?: string };
}

/** What runs need of the estimates. */
export interface ClockSource {
  estimate(agentId: string): Estimate;
}

const ms = (ns: bigint) => Number(ns) / 1e6;

export class Clocks implements ClockSource {
  readonly #collectorId: string;
  readonly #now: () => bigint;
  readonly #filters = new Map<string, { filter: ClockFilter; via: ClockVia }>();
  readonly #log: ThrottledLog | undefined;

  constructor(collectorId: string, o: { now?: () => bigint; logger?: Logger; log?: ThrottledLog } = {}) {
    this.#collectorId = collectorId;
    this.#now = o.now ?? stampNs;
    this.#log = o.log ?? (o.logger ? new ThrottledLog(o.logger) : undefined);
  }

  /**
   * An agent reported a finished round trip. One answered by another collector (over NATS every collector answers,
   * the agent takes the first reply) is of that collector's clock: ignored. Refused exchanges are counted and logged.
   */
  report(agentId: string, e: ClockExchange, via: ClockVia): void {
    if (e.collectorId !== "" && e.collectorId !== this.#collectorId) return;
    let entry = this.#filters.get(agentId);
    if (entry === undefined) {
      entry = { filter: new ClockFilter(), via };
      this.#filters.set(agentId, entry);
    }
    entry.via = via;
    const refused = entry.filter.add(e, this.#now());
    if (refused !== undefined) this.#log?.warn("clock exchange refused", { agentId, reason: refused }, "clock exchange refused");
  }

  estimate(agentId: string): Estimate {
    const entry = this.#filters.get(agentId);
    if (entry !== undefined) return entry.filter.estimate(this.#now());
    return { known: false, reason: "no round trip yet (over gRPC an agent probes its stream; over NATS each hello, every nats.helloEveryMs, is one)" };
  }

  /** The API's view of agentId's clock. */
  view(agentId: string): AgentClock {
    const entry = this.#filters.get(agentId);
    const e = this.estimate(agentId);
    const refusals = entry?.filter.refusals ?? { count: 0, last: "" };
    const common = { boundMs: CLOCK_BOUND_MS, refused: refusals.count, ...(refusals.last ? { lastRefusal: refusals.last } : {}), ...(entry ? { via: entry.via } : {}) };
    if (!e.known) return { clockOffsetMs: null, clockUncertaintyMs: null, clock: { known: false, reason: e.reason, ...common } };
    return {
      clockOffsetMs: ms(e.offsetNs),
      clockUncertaintyMs: ms(e.uncertaintyNs),
      clock: { known: true, delayMs: ms(e.delayNs), samples: e.samples, ageMs: ms(e.ageNs), ...common },
    };
  }

  /** The estimate as the collector tells the agent (ClockReply, Welcome). */
  toWire(agentId: string): ClockEstimate {
    const e = this.estimate(agentId);
    const boundNs = BigInt(CLOCK_BOUND_MS) * 1_000_000n;
    if (!e.known) return { known: false, offsetNs: 0n, uncertaintyNs: 0n, boundNs, reason: e.reason };
    return { known: true, offsetNs: e.offsetNs, uncertaintyNs: e.uncertaintyNs, boundNs, reason: "" };
  }
}

interface Directory<R extends { agentId: string }> {
  list(): Promise<R[]>;
  get(agentId: string): Promise<R | undefined>;
}

/** The agent directory with each record's clock (for /api/v1/agents and /api/v1/agents/:id). */
export function withClocks<R extends { agentId: string }>(dir: Directory<R>, clocks: Clocks): Directory<R & AgentClock> {
  return {
    list: async () => (await dir.list()).map((r) => ({ ...r, ...clocks.view(r.agentId) })),
    get: async (agentId) => {
      const r = await dir.get(agentId);
      return r === undefined ? undefined : { ...r, ...clocks.view(agentId) };
    },
  };
}
