// The agent's side of the clock round trips (ClockExchange in the proto). Over gRPC it probes the stream: a
// ClockProbe stamped t1, the collector's ClockReply stamped t2 and t3, t4 on receipt; each probe reports the previous
// finished exchange. Over NATS the hello request/reply is the round trip and the next hello reports it. The
// collector does the estimating; what it says back (ClockEstimate) is logged: once at info when the offset is first
// known, at warn when it passes the collector's bound (and at info when it is back within).
import { stampNs, type Logger } from "@eastwest/common";
import type { ClockEstimate, ClockExchange, ClockProbe, ClockReply } from "@eastwest/proto";

/** Probes after each connect: FIRST_PROBES one PROBE_FIRST_MS apart (a quick estimate), then one every PROBE_EVERY_MS. */
export const PROBE_FIRST_MS = 1000;
export const FIRST_PROBES = 8;
export const PROBE_EVERY_MS = 10_000;

const ms = (ns: bigint) => Number(ns) / 1e6;

export class ClockTracker {
  readonly #logger: Logger;
  #pendingT1 = 0n;
  #last: ClockExchange | undefined;
  #known = false;
  #over = false;
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The last finished exchange, for the next request. */
  get last(): ClockExchange | undefined {
    return this.#last;
  }

  /** A probe stamped now (t1), reporting the last finished exchange. */
  probe(): ClockProbe {
    this.#pendingT1 = stampNs();
    return { sentNs: this.#pendingT1, last: this.#last };
  }

  /** A reply to the pending probe finishes its exchange; a reply to any other (late, lost) is ignored. */
  onReply(r: ClockReply, collectorId: string): void {
    const t4 = stampNs();
    if (this.#pendingT1 === 0n || r.probeSentNs !== this.#pendingT1) return;
    this.#last = { t1Ns: this.#pendingT1, t2Ns: r.receivedNs, t3Ns: r.sentNs, t4Ns: t4, collectorId };
    this.#pendingT1 = 0n;
    if (r.estimate) this.note(r.estimate);
  }

  /** A request/reply round trip sent at t1Ns (NATS hello -> Welcome) has been answered now. */
  onAnswer(t1Ns: bigint, t2Ns: bigint, t3Ns: bigint, collectorId: string, estimate: ClockEstimate | undefined): void {
    const t4 = stampNs();
    if (t2Ns !== 0n && t3Ns !== 0n) this.#last = { t1Ns, t2Ns, t3Ns, t4Ns: t4, collectorId };
    if (estimate) this.note(estimate);
  }

  /** Logs what the collector says of this agent's clock. */
  note(e: ClockEstimate): void {
    if (!e.known) return;
    const fields = { offsetMs: ms(e.offsetNs), uncertaintyMs: ms(e.uncertaintyNs), boundMs: ms(e.boundNs) };
    if (!this.#known) this.#logger.info(fields, "clock offset to the collector estimated");
    this.#known = true;
    const over = e.boundNs > 0n && (e.offsetNs < 0n ? -e.offsetNs : e.offsetNs) > e.boundNs;
    if (over && !this.#over) this.#logger.warn(fields, "this agent's clock is off the collector's by more than the bound: run windows are corrected by the estimate, but set the clock (NTP)");
    if (!over && this.#over) this.#logger.info(fields, "clock offset back within the bound");
    this.#over = over;
  }

  /** Probes through send (after each connect): quickly at first, then every PROBE_EVERY_MS, until stopProbing. */
  startProbing(send: (p: ClockProbe) => void): void {
    this.stopProbing();
    this.#sent = 0;
    const tick = () => {
      send(this.probe());
      this.#sent += 1;
      this.#timer = setTimeout(tick, this.#sent < FIRST_PROBES ? PROBE_FIRST_MS : PROBE_EVERY_MS);
      this.#timer.unref();
    };
    tick();
  }

  /** Safe twice. The pending probe is forgotten (its reply would come on a stream that is gone). */
  stopProbing(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pendingT1 = 0n;
  }
}
