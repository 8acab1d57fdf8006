// The collector's view of its agents: in memory, backed by the store.
//
// Agents stored by an earlier run are loaded once, on first use, as
// disconnected. Hello and disconnect are written through to the store;
// batches update memory and are written at most once per persistEveryNs per
// agent (in the background), so the store's lastSeenNs may lag by that much.
// A reconnect can overlap the old stream's close, so "connected" counts
// streams: an agent is connected while it has at least one. At most maxAgents
// agent ids are known (stored ones included): a hello or a batch of a new id
// beyond that is refused with LimitExceeded("maxAgents").
import { errorMessage, type Logger } from "@eastwest/common";
import { LimitExceeded } from "../ingest/limits.ts";
import { Role, type Hello } from "@eastwest/proto";
import type { AgentRecord, AgentRole, Store } from "../store/types.ts";

export interface RegistryOptions {
  logger?: Logger;
  /** Minimum time between background writes of one agent's record (ns). Default 10 s. */
  persistEveryNs?: bigint;
  /** Agent ids known at most (limits.maxAgents). Default unlimited. */
  maxAgents?: number;
}

interface Entry {
  record: AgentRecord;
  streams: number;
  persistedNs: bigint;
}

export class Registry {
  readonly #store: Store;
  readonly #opts: RegistryOptions;
  readonly #agents = new Map<string, Entry>();
  #loaded: Promise<void> | undefined;
  /** Background writes that failed; also logged at warn. */
  persistErrors = 0;

  constructor(store: Store, opts: RegistryOptions = {}) {
    this.#store = store;
    this.#opts = opts;
  }

  /**
   * An agent said Hello on a new stream; resolves once its record is stored, or, when the store cannot write
   * (disk full), kept in memory, counted and logged (a failing store must not refuse hellos); rejects when the
   * store cannot be read.
   */
  async onHello(hello: Hello, nowNs: bigint): Promise<void> {
    await this.#load();
    const over = this.admits(hello.agentId);
    if (over) throw over;
    const highestSeq = await this.#store.highestSeq(hello.agentId);
    const prev = this.#agents.get(hello.agentId);
    const record: AgentRecord = {
      ...fromHello(hello),
      firstSeenNs: prev?.record.firstSeenNs ?? nowNs,
      lastSeenNs: nowNs,
      connected: true,
      highestSeq: max(highestSeq, prev?.record.highestSeq ?? 0n),
    };
    const entry: Entry = { record, streams: (prev?.streams ?? 0) + 1, persistedNs: nowNs };
    this.#agents.set(hello.agentId, entry);
    try {
      await this.#store.upsertAgent(record);
    } catch (err) {
      this.persistErrors++;
      this.#opts.logger?.warn({ agentId: hello.agentId, err: errorMessage(err) }, "cannot store agent record (kept in memory)");
    }
  }

  /** Whether a batch or hello of agentId may be taken: known, or room for one more agent id. */
  admits(agentId: string): LimitExceeded | undefined {
    const max = this.#opts.maxAgents ?? Number.POSITIVE_INFINITY;
    if (this.#agents.has(agentId) || this.#agents.size < max) return undefined;
    return new LimitExceeded("maxAgents", `${this.#agents.size} agents known, limit ${max}: new agent id ${agentId.slice(0, 140)} refused`);
  }

  /**
   * A batch from agentId was stored (or was a duplicate). An agent never seen
   * (e.g. one using the unary Push) gets a record with empty identity.
   */
  onBatch(agentId: string, seq: bigint, nowNs: bigint): void {
    let entry = this.#agents.get(agentId);
    if (entry === undefined) {
      entry = { record: emptyRecord(agentId, nowNs), streams: 0, persistedNs: -1n };
      this.#agents.set(agentId, entry);
    }
    entry.record.lastSeenNs = max(entry.record.lastSeenNs, nowNs);
    entry.record.highestSeq = max(entry.record.highestSeq, seq);
    const every = this.#opts.persistEveryNs ?? 10_000_000_000n;
    if (entry.persistedNs < 0n || nowNs - entry.persistedNs >= every) {
      entry.persistedNs = nowNs;
      void this.#persist(agentId);
    }
  }

  /** One of the agent's streams closed. */
  async onDisconnect(agentId: string, nowNs: bigint): Promise<void> {
    const entry = this.#agents.get(agentId);
    if (entry === undefined) return;
    entry.streams = Math.max(0, entry.streams - 1);
    entry.record.connected = entry.streams > 0;
    entry.record.lastSeenNs = max(entry.record.lastSeenNs, nowNs);
    entry.persistedNs = nowNs;
    await this.#store.upsertAgent({ ...entry.record });
  }

  /** Every known agent, ordered by agentId. Records are copies. */
  async list(): Promise<AgentRecord[]> {
    await this.#load();
    return [...this.#agents.values()]
      .map((e) => ({ ...e.record }))
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  async get(agentId: string): Promise<AgentRecord | undefined> {
    await this.#load();
    const entry = this.#agents.get(agentId);
    return entry === undefined ? undefined : { ...entry.record };
  }

  /** Writes every agent's current record to the store. */
  async flush(): Promise<void> {
    await this.#load();
    for (const entry of this.#agents.values()) await this.#store.upsertAgent({ ...entry.record });
  }

  /** Loads stored agents once; a failed load is retried on the next call. */
  #load(): Promise<void> {
    this.#loaded ??= this.#store.listAgents().then(
      (stored) => {
        for (const record of stored) this.#merge(record);
      },
      (err: unknown) => {
        this.#loaded = undefined;
        throw err;
      },
    );
    return this.#loaded;
  }

  /** A stored record joins memory as disconnected; what memory learned meanwhile wins. */
  #merge(stored: AgentRecord): void {
    const entry = this.#agents.get(stored.agentId);
    if (entry === undefined) {
      this.#agents.set(stored.agentId, { record: { ...stored, connected: false }, streams: 0, persistedNs: 0n });
      return;
    }
    const r = entry.record;
    r.firstSeenNs = r.firstSeenNs < stored.firstSeenNs ? r.firstSeenNs : stored.firstSeenNs;
    r.highestSeq = max(r.highestSeq, stored.highestSeq);
    if (r.hostname === "" && entry.streams === 0) entry.record = { ...stored, ...pickLive(r) };
  }

  /** After the load, so a record made from a batch alone never hides a stored identity. */
  async #persist(agentId: string): Promise<void> {
    try {
      await this.#load();
      const entry = this.#agents.get(agentId);
      if (entry !== undefined) await this.#store.upsertAgent({ ...entry.record });
    } catch (err) {
      this.persistErrors++;
      this.#opts.logger?.warn({ agentId, err: errorMessage(err) }, "cannot store agent record");
    }
  }
}

function pickLive(r: AgentRecord): Partial<AgentRecord> {
  return { firstSeenNs: r.firstSeenNs, lastSeenNs: r.lastSeenNs, highestSeq: r.highestSeq, connected: r.connected };
}

export function roleName(role: Role): AgentRole {
  if (role === Role.ROLE_HOST) return "host";
  if (role === Role.ROLE_GUEST) return "guest";
  return "unspecified";
}

type Identity = Omit<AgentRecord, "firstSeenNs" | "lastSeenNs" | "connected" | "highestSeq">;

export function fromHello(h: Hello): Identity {
  return {
    agentId: h.agentId,
    role: roleName(h.role),
    hostname: h.hostname,
    kernel: h.kernel,
    machineUuid: h.machineUuid,
    netns: h.netns,
    capabilities: h.capabilities.map((c) => ({
      sampler: c.sampler,
      available: c.available,
      reason: c.reason,
      intervalMs: c.intervalMs,
    })),
    agentVersion: h.agentVersion,
    pid: h.pid,
    calibration: h.calibration ?? null,
    cpuModel: h.cpuModel,
    toolVersions: h.toolVersions,
  };
}

function emptyRecord(agentId: string, nowNs: bigint): AgentRecord {
  return {
    agentId,
    role: "unspecified",
    hostname: "",
    kernel: "",
    machineUuid: "",
    netns: "",
    capabilities: [],
    agentVersion: "",
    pid: 0,
    calibration: null,
    firstSeenNs: nowNs,
    lastSeenNs: nowNs,
    connected: false,
    highestSeq: 0n,
  };
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
