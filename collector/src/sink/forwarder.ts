// The forwarder: one per sink. It reads the store's point log (../store/point-log.ts) after its durable cursor
// (cursor.ts), encodes a chunk of at most batchPoints stored points (codec), sends it (http.ts) and moves on.
//
// Delivery rule: the agent's ack stays tied to the collector's durable store, never to a sink. Ingest writes and
// acks as if there were no sink; a forwarder only reads what was stored, so a dead or slow receiver never stalls
// ingest. Its queue is the store itself: what was stored and not yet forwarded survives a receiver outage and a
// collector restart (the cursor is in the ledger's file). In order: chunks go in the order the store committed
// the points, one at a time. Retries: a connection failure, timeout, 429 or 5xx is retried with exponential
// backoff and full jitter (at least Retry-After when given) until it succeeds or the forwarder stops; any other
// 4xx drops that request (counted, logged) and the forwarder goes on. At-least-once: after a crash the chunk in
// flight is sent once more. Bounded: beyond queue.maxLagPoints stored points not yet forwarded, the oldest are
// skipped; points older than queue.maxAgeMs (by their own time) are skipped; both counted in skipped_points_total.
// Retention removing points a sink has not forwarded yet removes them from its queue too.
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff, errorMessage, nowNs, type ThrottledLog } from "@eastwest/common";
import type { PointLog, LogPoint } from "../store/point-log.ts";
import type { SinkConfig } from "./config.ts";
import type { CursorState, SinkCursor } from "./cursor.ts";
import type { Poster } from "./http.ts";
import type { SinkStats } from "./stats.ts";
import type { SinkCodec } from "./types.ts";

export interface ForwarderOptions {
  config: SinkConfig;
  log: PointLog;
  cursor: SinkCursor;
  codec: SinkCodec;
  post: Poster;
  stats: SinkStats;
  tlog: ThrottledLog;
  /** Unix epoch ns; tests inject one. */
  clock?: () => bigint;
  random?: () => number;
}

export class Forwarder {
  readonly #o: ForwarderOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Set by stop(): forward up to this position, then end. */
  #drainTo: bigint | undefined;

  constructor(o: ForwarderOptions) {
    this.#o = o;
    this.#backoff = new Backoff({ minMs: o.config.retry.minDelayMs, maxMs: o.config.retry.maxDelayMs, random: o.random });
  }

  get name(): string {
    return this.#o.config.name;
  }

  start(): void {
    this.#running ??= this.#run().catch((err: unknown) => {
      this.#o.tlog.error(`sink ${this.name} stopped`, { sink: this.name, err: errorMessage(err) }, "sink stopped on a store error; it resumes from its cursor at the next start");
    });
  }

  /**
   * Forwards what was stored before the call, for at most budgetMs; then ends whatever is in flight (its chunk is
   * resent after the next start). Safe twice and without start.
   */
  async stop(budgetMs: number): Promise<void> {
    if (this.#running === undefined) return;
    this.#drainTo ??= await this.#o.log.head().catch(() => 0n);
    this.#wake?.();
    const timer = setTimeout(() => this.#abort.abort(), budgetMs);
    try {
      await this.#running;
    } finally {
      clearTimeout(timer);
      this.#abort.abort();
    }
  }

  async #run(): Promise<void> {
    const { log, cursor, config, stats } = this.#o;
    let state = await cursor.load(async () => (config.startFrom === "oldest" ? 0n : await log.head()));
    let saved = true;
    while (!this.#abort.signal.aborted) {
      const head = await log.head();
      state = this.#bound(state, head);
      if (this.#drainTo !== undefined && state.done >= this.#drainTo) break;
      const upTo = state.inflightTo > state.done ? state.inflightTo : undefined;
      const points = await log.readAfter(state.done, config.batchPoints, upTo);
      if (points.length === 0) {
        if (!saved) await cursor.save(state);
        saved = true;
        if (this.#drainTo !== undefined) break;
        await this.#idle();
        continue;
      }
      const to = (points[points.length - 1] as LogPoint).pos;
      await cursor.save({ done: state.done, inflightTo: to });
      if (!(await this.#deliver(this.#fresh(points)))) return;
      state = { done: to, inflightTo: 0n };
      saved = false;
      stats.lagPoints = head > to ? head - to : 0n;
    }
    if (!saved && !this.#abort.signal.aborted) await cursor.save(state);
  }

  /** The queue bound by count: beyond maxLagPoints behind the head, the oldest are skipped. */
  #bound(state: CursorState, head: bigint): CursorState {
    const { config, stats, tlog } = this.#o;
    if (head < state.done) {
      // why: the log's newest rows were removed (retention with nothing stored since), so positions start lower again.
      tlog.warn(`sink ${this.name} rewound`, { sink: this.name, cursor: String(state.done), head: String(head) }, "sink cursor is past the store's newest point; starting over from the oldest");
      return { done: 0n, inflightTo: 0n };
    }
    stats.lagPoints = head - state.done;
    const max = BigInt(config.queue.maxLagPoints);
    if (max === 0n || head - state.done <= max) return state;
    const skip = head - state.done - max;
    stats.skippedPoints += skip;
    stats.lagPoints = max;
    tlog.warn(`sink ${this.name} lag`, { sink: this.name, skipped: String(skip), maxLagPoints: config.queue.maxLagPoints }, "sink fell behind by more than queue.maxLagPoints: oldest points skipped");
    return { done: head - max, inflightTo: 0n };
  }

  /** The queue bound by age: points older than maxAgeMs are skipped. */
  #fresh(points: LogPoint[]): LogPoint[] {
    const { config, stats } = this.#o;
    if (config.queue.maxAgeMs === 0) return points;
    const oldest = (this.#o.clock ?? nowNs)() - BigInt(config.queue.maxAgeMs) * 1_000_000n;
    const fresh = points.filter((p) => p.timeNs >= oldest);
    stats.skippedPoints += BigInt(points.length - fresh.length);
    return fresh;
  }

  /** Sends a chunk's requests in order; false when stopped before they were all answered. */
  async #deliver(points: LogPoint[]): Promise<boolean> {
    if (points.length === 0) return true;
    const { codec, stats } = this.#o;
    let requests;
    try {
      requests = codec.encode(points);
    } catch (err) {
      stats.skippedPoints += BigInt(points.length);
      this.#o.tlog.error(`sink ${this.name} encode`, { sink: this.name, err: errorMessage(err) }, "sink could not encode stored points; skipped");
      return true;
    }
    let taken = true;
    for (const req of requests) {
      const r = await this.#send(req.body, req.samples);
      if (r === "stopped") return false;
      taken &&= r === "ok";
    }
    if (taken) stats.sentPoints += BigInt(points.length);
    return true;
  }

  async #send(body: Uint8Array, samples: number): Promise<"ok" | "dropped" | "stopped"> {
    const { codec, post, stats, tlog } = this.#o;
    const signal = this.#abort.signal;
    for (;;) {
      const out = await post(body, codec.headers, signal);
      stats.up = out.kind === "ok";
      if (out.kind === "ok") {
        this.#backoff.reset();
        stats.sentRequests++;
        stats.sentSamples += BigInt(samples);
        stats.sentBytes += BigInt(body.length);
        return "ok";
      }
      if (out.kind === "rejected") {
        this.#backoff.reset();
        stats.droppedRequests++;
        stats.droppedSamples += BigInt(samples);
        tlog.warn(`sink ${this.name} rejected`, { sink: this.name, status: out.status, reason: out.reason }, "sink receiver refused a request: dropped");
        return "dropped";
      }
      if (signal.aborted) return "stopped";
      const delayMs = Math.max(out.afterMs ?? 0, this.#backoff.next());
      stats.retries++;
      tlog.warn(`sink ${this.name} retry`, { sink: this.name, reason: out.reason, delayMs }, "sink receiver unavailable: retrying");
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        return "stopped";
      }
    }
  }

  async #idle(): Promise<void> {
    const signal = this.#abort.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#o.config.pollMs);
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
    this.#wake = undefined;
  }
}
