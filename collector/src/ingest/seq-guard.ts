// Sequence integrity at admission: which batches may reach validation and the
// store, by their agent's session (epoch) and seq. The store is idempotent on
// (agent_id, seq), so a batch stored at a seq the agent has not reached yet
// makes the agent's own batch there a "duplicate": a hole with no gap. The
// guard bounds who may write which seqs.
//
// Contract:
//   hello(agentId, sessionId, baseSeq)  begins (or, over NATS, continues: same
//     non-empty sessionId) the agent's session; resolves its AgentSession. The
//     epoch is written to the ledger first; when the ledger cannot write (disk
//     full), the epoch is issued in memory (above every one this process knew)
//     and logged, so a failing store never stops hellos. Rejects only when the
//     ledger cannot be read at all.
//   admit(agentId, seq, via)  resolves an Admission (a value; refusals are
//     counted by the caller). via:
//       { epoch, late: false }  a live stream (gRPC): the epoch must be the
//                               agent's current one, else "superseded".
//       { epoch, late: true }   a durable log (NATS JetStream): a batch of an
//                               older session is admitted at seqs <= the current
//                               session's base (published before the newer
//                               hello, so it cannot collide with the new
//                               session's seqs), else "stale-epoch".
//       undefined               no session (unary Push, NATS without the epoch
//                               header): admitted only for agents that never
//                               began a session, else "sessionless".
//     An epoch above the current one is "unknown-epoch". Then seq must be at
//     most maxSeqAhead above the agent's reference: the largest of its highest
//     stored seq, its session's base and the highest seq admitted before;
//     else "seq-ahead". Before any refusal the guard re-reads the ledger once
//     (another collector may share it, or have stored meanwhile). Rejects with
//     StoreError when the ledger cannot be read.
// Memory: one small entry per agent that sent a batch or said hello, at most
// MAX_AGENTS (the oldest entry goes first; it is read again from the ledger).
import { errorMessage, type Logger } from "@eastwest/common";
import type { AgentSession } from "../store/types.ts";

/** The part of the store the guard reads and writes. */
export interface SessionLedger {
  highestSeq(agentId: string): Promise<bigint>;
  session(agentId: string): Promise<AgentSession | undefined>;
  beginSession(agentId: string, sessionId: string, baseSeq: bigint, minEpoch: bigint): Promise<AgentSession>;
}

export type RefusalCode = "superseded" | "stale-epoch" | "unknown-epoch" | "sessionless" | "seq-ahead";

export type Admission = { ok: true } | { ok: false; code: RefusalCode; reason: string };

/** How a batch arrived: the epoch of its session, and whether it may arrive after a newer session began. */
export interface BatchVia {
  epoch: bigint;
  late: boolean;
}

export interface SeqGuardOptions {
  ledger: SessionLedger;
  /** How far above an agent's reference seq a batch may be (collector.limits.maxSeqAhead). */
  maxSeqAhead: bigint;
  logger: Logger;
}

interface Entry {
  session: AgentSession | undefined;
  /** max(highest stored as last read, highest admitted). */
  highest: bigint;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** why: batches under made-up agent ids must not grow the guard without bound. */
const MAX_AGENTS = 100_000;

export class SeqGuard {
  readonly #o: SeqGuardOptions;
  readonly #agents = new Map<string, Entry>();

  constructor(o: SeqGuardOptions) {
    this.#o = o;
  }

  async hello(agentId: string, sessionId: string, baseSeq: bigint): Promise<AgentSession> {
    const e = await this.#entry(agentId);
    const minEpoch = (e.session?.epoch ?? 0n) + 1n;
    let s: AgentSession;
    try {
      s = await this.#o.ledger.beginSession(agentId, sessionId, baseSeq, minEpoch);
    } catch (err) {
      const goesOn = e.session !== undefined && sessionId !== "" && e.session.sessionId === sessionId;
      s = goesOn && e.session ? e.session : { epoch: minEpoch, sessionId, baseSeq };
      this.#o.logger.warn({ agentId, epoch: String(s.epoch), why: errorMessage(err) }, "session epoch not persisted (held in memory)");
    }
    e.session = s;
    e.highest = max(e.highest, s.baseSeq);
    return s;
  }

  async admit(agentId: string, seq: bigint, via: BatchVia | undefined): Promise<Admission> {
    let e = await this.#entry(agentId);
    let verdict = this.#judge(e, seq, via);
    if (!verdict.ok) {
      e = await this.#reload(agentId, e);
      verdict = this.#judge(e, seq, via);
    }
    if (verdict.ok) e.highest = max(e.highest, seq);
    return verdict;
  }

  /** The agent's current epoch as this collector knows it (0n: none). */
  epochOf(agentId: string): bigint {
    return this.#agents.get(agentId)?.session?.epoch ?? 0n;
  }

  #judge(e: Entry, seq: bigint, via: BatchVia | undefined): Admission {
    const cur = e.session;
    if (via === undefined && cur !== undefined) {
      return { ok: false, code: "sessionless", reason: `batch without a session for an agent whose session is epoch ${cur.epoch}: send on the session` };
    }
    if (via !== undefined) {
      const current = cur?.epoch ?? 0n;
      if (via.epoch > current) return { ok: false, code: "unknown-epoch", reason: `epoch ${via.epoch} was not issued (current ${current})` };
      if (via.epoch < current && !via.late) return { ok: false, code: "superseded", reason: `session epoch ${via.epoch} was superseded by epoch ${current}` };
      if (via.epoch < current && cur && seq > cur.baseSeq) {
        return { ok: false, code: "stale-epoch", reason: `seq ${seq} of session epoch ${via.epoch} is above ${cur.baseSeq}, where session epoch ${current} began` };
      }
    }
    const reference = max(e.highest, cur?.baseSeq ?? 0n);
    if (seq > reference + this.#o.maxSeqAhead) {
      return { ok: false, code: "seq-ahead", reason: `seq ${seq} is more than maxSeqAhead (${this.#o.maxSeqAhead}) above the agent's highest seq ${reference}` };
    }
    return { ok: true };
  }

  async #entry(agentId: string): Promise<Entry> {
    const known = this.#agents.get(agentId);
    if (known !== undefined) return known;
    const e = await this.#read(agentId, { session: undefined, highest: 0n });
    // why: another batch of this agent may have made the entry while this one read the ledger.
    const raced = this.#agents.get(agentId);
    if (raced !== undefined) return raced;
    if (this.#agents.size >= MAX_AGENTS) this.#agents.delete(this.#agents.keys().next().value as string);
    this.#agents.set(agentId, e);
    return e;
  }

  /** Re-reads the ledger into e; an epoch issued in memory (ledger not writable) survives a stale ledger row. */
  async #reload(agentId: string, e: Entry): Promise<Entry> {
    const read = await this.#read(agentId, e);
    if (read.session && e.session && read.session.epoch < e.session.epoch) read.session = e.session;
    e.session = read.session;
    e.highest = read.highest;
    return e;
  }

  async #read(agentId: string, prev: Entry): Promise<Entry> {
    const [session, highest] = await Promise.all([this.#o.ledger.session(agentId), this.#o.ledger.highestSeq(agentId)]);
    return { session: session ?? prev.session, highest: max(highest, prev.highest) };
  }
}
