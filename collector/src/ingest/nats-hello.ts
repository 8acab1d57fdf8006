// Answers agents' Hello requests on <prefix>.hello.> and keeps a command
// session per agent. Every collector answers (no queue group): each one then
// knows the agent and can send it commands; the agent takes the first reply.
//
// The Welcome's highest seq is the larger of the store's and the stream's
// (the newest batch of that agent still in the stream, by its Nats-Msg-Id):
// a restarted agent must number above batches no collector has stored yet,
// or the stream's dedup window would drop its new batches as repeats. When
// either cannot be read the reply is an error and the agent asks again. A
// hello over limits.maxHelloBytes or maxHelloFieldLength, or of a new agent
// beyond maxAgents, is refused (RESOURCE_EXHAUSTED) and counted per limit;
// whatever else fails while answering is answered INTERNAL and logged.
//
// The Welcome's epoch: a hello with a new session_id begins a new session
// (a new epoch); periodic hellos repeat the agent's session_id and keep it,
// whichever collector answers (the epoch lives in the ledger).
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { JetStreamManager } from "@nats-io/jetstream";
import { CollectorMessage, Command, CommandResult, Hello } from "@eastwest/proto";
import { agentBatchFilter, agentTokenOf, collectorCommandSubject, commandSubjectOf, errorMessage, helloWildcard, nowNs, seqOfMsgId, stampNs, ThrottledLog, tokenOf, type Logger } from "@eastwest/common";
import type { Clocks } from "../clock/clocks.ts";
import type { Session, Sessions } from "../control/sessions.ts";
import type { AgentSession } from "../store/types.ts";
import { validateHello } from "./validate.ts";
import { DEFAULT_LIMITS, LimitExceeded, limitOf, type IngestLimits } from "./limits.ts";
import type { PipelineStats } from "./stats.ts";

const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;

export interface HelloResponderOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  subjectPrefix: string;
  stream: string;
  collectorId: string;
  logger: Logger;
  sessions: Sessions;
  highestSeq: (agentId: string) => Promise<bigint>;
  beginSession: (agentId: string, sessionId: string, baseSeq: bigint) => Promise<AgentSession>;
  onHello: (hello: Hello) => Promise<void>;
  onDisconnect: (agentId: string) => Promise<void>;
  limits?: IngestLimits;
  log?: ThrottledLog;
  /** Refusals over a limit and handler failures are counted here. */
  stats?: PipelineStats;
  /** Fed by the hellos' round trips: a hello reports the previous one (Hello.clock). */
  clocks?: Clocks;
}

/** Highest seq of agentId's batches in the stream; 0n when it has none. */
export async function streamHighestSeq(jsm: JetStreamManager, stream: string, prefix: string, agentId: string): Promise<bigint> {
  const m = await jsm.streams.getMessage(stream, { last_by_subj: agentBatchFilter(prefix, agentId) });
  const id = m?.header?.get("Nats-Msg-Id") ?? "";
  return seqOfMsgId(id, agentId) ?? 0n;
}

export class HelloResponder {
  readonly #o: HelloResponderOptions;
  readonly #sessions = new Map<string, Session>();
  #sub: Subscription | undefined;
  readonly #limits: IngestLimits;
  readonly #log: ThrottledLog;

  constructor(o: HelloResponderOptions) {
    this.#o = o;
    this.#limits = o.limits ?? DEFAULT_LIMITS;
    this.#log = o.log ?? new ThrottledLog(o.logger);
  }

  start(): void {
    this.#sub = this.#o.nc.subscribe(helloWildcard(this.#o.subjectPrefix), {
      callback: (err, msg) => {
        if (err) return void this.#o.logger.warn({ why: errorMessage(err) }, "hello subscription failed");
        this.#answer(msg).catch((err: unknown) => this.#failed(msg, err));
      },
    });
  }

  /** The error boundary's answer: count, log, answer INTERNAL if the requester still listens. */
  #failed(msg: Msg, err: unknown): void {
    if (this.#o.stats) this.#o.stats.handlerErrors += 1n;
    this.#log.error("nats hello handler failed", { subject: msg.subject, err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, "nats hello handler failed");
    try {
      msg.respond(CollectorMessage.encode({ msg: { $case: "error", value: { code: INTERNAL, reason: "internal error (logged by the collector)" } } }).finish());
    } catch {
      // why: no reply subject or the connection is closing: nobody to answer.
    }
  }

  #overLimit(err: LimitExceeded, subject: string): void {
    if (this.#o.stats) this.#o.stats.refusedByLimit[err.limit] += 1n;
    this.#log.warn(`hello refused ${err.limit}`, { subject, reason: err.message }, "hello refused");
  }

  async #answer(msg: Msg): Promise<void> {
    const receivedNs = stampNs();
    const reply = (m: CollectorMessage) => void msg.respond(CollectorMessage.encode(m).finish());
    const refuse = (code: number, reason: string) => reply({ msg: { $case: "error", value: { code, reason } } });
    if (msg.data.length > this.#limits.maxHelloBytes) {
      const err = new LimitExceeded("maxHelloBytes", `hello of ${msg.data.length} bytes, limit ${this.#limits.maxHelloBytes}`);
      this.#overLimit(err, msg.subject);
      return refuse(RESOURCE_EXHAUSTED, `hello refused: ${err.message}`);
    }
    let hello: Hello;
    try {
      hello = Hello.decode(msg.data);
    } catch (err) {
      return refuse(INVALID_ARGUMENT, `undecodable hello: ${errorMessage(err)}`);
    }
    const problems = validateHello(hello, this.#limits);
    if (tokenOf(hello.agentId) !== agentTokenOf(msg.subject)) problems.push(`agent_id ${hello.agentId.slice(0, 140)} does not match subject ${msg.subject}`);
    const limit = problems.map(limitOf).find((l) => l !== undefined);
    if (limit && this.#o.stats) this.#o.stats.refusedByLimit[limit] += 1n;
    if (problems.length > 0) return refuse(limit ? RESOURCE_EXHAUSTED : INVALID_ARGUMENT, `hello rejected: ${problems.join("; ")}`);
    try {
      const repeat = this.#sessions.has(hello.agentId);
      await this.#o.onHello(hello);
      // why: the registry counts streams per agent; a repeated hello is the same session, not another one.
      if (repeat) await this.#o.onDisconnect(hello.agentId);
      const [stored, streamed] = await Promise.all([this.#o.highestSeq(hello.agentId), streamHighestSeq(this.#o.jsm, this.#o.stream, this.#o.subjectPrefix, hello.agentId)]);
      const highestSeq = stored > streamed ? stored : streamed;
      const { epoch } = await this.#o.beginSession(hello.agentId, hello.sessionId, highestSeq);
      // why: the agent serves one subject per collector and obeys only those its config names (nats.collectors).
      this.#attach(hello.agentId, collectorCommandSubject(commandSubjectOf(msg.subject, this.#o.subjectPrefix), this.#o.collectorId));
      this.#o.logger.debug({ agentId: hello.agentId, highestSeq: String(highestSeq), stored: String(stored), streamed: String(streamed), epoch: String(epoch) }, "agent hello over NATS");
      if (hello.clock !== undefined) this.#o.clocks?.report(hello.agentId, hello.clock, "nats");
      const clock = this.#o.clocks?.toWire(hello.agentId);
      reply({ msg: { $case: "welcome", value: { collectorId: this.#o.collectorId, highestSeq, epoch, receivedNs, sentNs: stampNs(), clockProbes: false, clock } } });
    } catch (err) {
      if (!(err instanceof LimitExceeded)) return refuse(UNAVAILABLE, `hello failed: ${errorMessage(err)}`);
      this.#overLimit(err, msg.subject);
      refuse(RESOURCE_EXHAUSTED, `hello refused: ${err.message}`);
    }
  }

  #attach(agentId: string, cmdSubject: string): void {
    if (this.#sessions.has(agentId) && this.#o.sessions.isConnected(agentId)) return;
    const session: Session = { agentId, send: (cmd) => this.#send(session, cmdSubject, cmd) };
    this.#sessions.set(agentId, session);
    this.#o.sessions.attach(session);
  }

  /** One request per command; its reply is the CommandResult. An agent that no longer listens is detached. */
  #send(session: Session, subject: string, cmd: Command): void {
    const { nc, sessions, logger } = this.#o;
    nc.request(subject, Command.encode(cmd).finish(), { timeout: cmd.deadlineMs + 1000 }).then(
      (m) => sessions.onResult(CommandResult.decode(m.data)),
      (err: unknown) => {
        const gone = err instanceof Error && "isNoResponders" in err && typeof err.isNoResponders === "function" && err.isNoResponders() === true;
        if (!gone) return sessions.onResult({ id: cmd.id, ok: false, error: `command over NATS: ${errorMessage(err)}`, json: "", startedNs: nowNs(), finishedNs: nowNs() });
        logger.warn({ agentId: session.agentId }, "agent does not answer commands over NATS: detached");
        this.#sessions.delete(session.agentId);
        sessions.detach(session);
        void this.#o.onDisconnect(session.agentId).catch(() => undefined);
      },
    );
  }

  /** Safe twice. */
  close(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    for (const s of this.#sessions.values()) this.#o.sessions.detach(s);
    this.#sessions.clear();
  }
}
