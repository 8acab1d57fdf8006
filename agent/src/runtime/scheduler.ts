// Runs each sampler on its own interval. A sampler that throws, times out or is unavailable never stops the
// others. Its roles, each in its own file:
// - lanes.ts: samplers sharing an interval share one timer on a wall-clock grid of that interval;
// - hold-queue.ts: holding (hold(forMs)): samplers that can split a tick (capture, decode) only capture at each
//   tick while samples are held; when the hold ends the captures are decoded in tick order and their points emitted
//   with their tick's time. Samplers that cannot split keep sampling as usual;
// - self-report.ts: each sampler's health as an eastwest_sampler point (slowest tick, success, totals).
// Lifecycle: init() probes, start() ticks (once), stop() decodes what is held, then closes every sampler (safe
// twice, and without start).
import type { Sample } from "@eastwest/common";
import { errorMessage, nowNs } from "@eastwest/common";
import type { SampleContext, SampleResult, Sampler } from "../samplers/types.ts";
import { DEFAULT_HOLD_LIMITS, HoldQueue, type HeldTick, type HoldState } from "./hold-queue.ts";
import { Lanes, type Lane } from "./lanes.ts";
import { newSelfWindow, noteTick, selfDue, selfPoint, type SelfWindow } from "./self-report.ts";
import type { SamplerState, ScheduledSampler, SchedulerDeps } from "./scheduler.types.ts";
import { Deadline, TickContext } from "./tick-context.ts";

export type { SamplerState, ScheduledSampler, SchedulerDeps } from "./scheduler.types.ts";
export { DEFAULT_HOLD_LIMITS, type HoldLimits, type HoldState } from "./hold-queue.ts";
export { untilNextGridMs } from "./lanes.ts";

type Splittable = Sampler & Required<Pick<Sampler, "capture" | "decode">>;

const splits = (s: Sampler): s is Splittable => s.capture !== undefined && s.decode !== undefined;

type Entry = ScheduledSampler & {
  state: SamplerState;
  /** The lane it ticks in, once started. */
  lane?: Lane<Entry>;
  /** An out-of-grid tick asked for by setInterval/setOptions. */
  soon?: NodeJS.Timeout;
  running: boolean;
  defaultIntervalMs: number;
  revertTimer?: NodeJS.Timeout;
  configuredOptions: Record<string, unknown>;
  optionsRevertTimer?: NodeJS.Timeout;
  selfTags?: Readonly<Record<string, string>>;
  self: SelfWindow;
};

type Outcome = { ok: boolean; points: Sample[] };

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #entries: Entry[];
  readonly #lanes: Lanes<Entry>;
  readonly #hold: HoldQueue<Entry>;
  #started = false;
  #stopped = false;

  constructor(samplers: ScheduledSampler[], deps: SchedulerDeps) {
    this.#deps = deps;
    this.#entries = samplers.map((s) => ({
      ...s,
      running: false,
      defaultIntervalMs: s.intervalMs,
      configuredOptions: s.options,
      self: newSelfWindow(),
      state: { name: s.sampler.name, intervalMs: s.intervalMs, availability: { available: true }, ticks: 0n, errors: 0n, points: 0n, lastDurationNs: 0n, lastError: undefined },
    }));
    this.#lanes = new Lanes<Entry>((e, tickNs, startedMs) => void this.#tick(e, tickNs, startedMs), deps.logger);
    this.#hold = new HoldQueue<Entry>(deps.hold ?? DEFAULT_HOLD_LIMITS, deps.logger, (h) => this.#decode(h));
  }

  #ctx(e: ScheduledSampler, tickNs: bigint, signal: () => AbortSignal): SampleContext {
    return new TickContext(e, this.#deps, tickNs, signal);
  }

  /** Probes every sampler once; unavailable ones are reported and skipped. */
  async init(): Promise<SamplerState[]> {
    await Promise.all(
      this.#entries.map(async (e) => {
        if (!e.sampler.init) return;
        const signal = AbortSignal.timeout(Math.max(e.intervalMs, 5000));
        try {
          e.state.availability = await e.sampler.init(this.#ctx(e, nowNs(), () => signal));
        } catch (err) {
          e.state.availability = { available: false, reason: `unavailable: init failed: ${errorMessage(err)}` };
        }
        if (!e.state.availability.available) this.#deps.logger.warn({ sampler: e.sampler.name, reason: e.state.availability.reason }, "sampler unavailable");
      }),
    );
    return this.states();
  }

  /** Ticks every available sampler now, then on the grid of its interval. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const e of this.#entries) if (e.state.availability.available) e.lane = this.#lanes.join(e, e.intervalMs);
    this.#lanes.start();
  }

  /** Runs `fn` on the grid of intervalMs, in the same wake-up as the samplers of that interval (e.g. the agent's own point). */
  every(intervalMs: number, fn: () => void): void {
    this.#lanes.every(intervalMs, fn);
  }

  async #tick(e: Entry, tickNs: bigint, startedMs: number): Promise<void> {
    const started = process.hrtime.bigint();
    e.running = true;
    let deadline: Deadline | undefined;
    const ctx = this.#ctx(e, tickNs, () => (deadline ??= new Deadline(startedMs + e.intervalMs)).signal);
    const sampler = e.sampler;
    if (this.#hold.active && splits(sampler)) {
      try {
        const captured = await sampler.capture(ctx);
        this.#hold.keep({ entry: e, ctx, captured, captureNs: process.hrtime.bigint() - started });
      } catch (err) {
        // why: a capture that failed is a failed tick now: there is nothing to decode later.
        this.#account(e, tickNs, process.hrtime.bigint() - started, this.#failed(e, err));
      } finally {
        deadline?.clear();
        e.running = false;
      }
      return;
    }
    const outcome = await this.#outcome(e, () => sampler.sample(ctx));
    deadline?.clear();
    e.running = false;
    this.#account(e, tickNs, process.hrtime.bigint() - started, outcome);
  }

  /** Decodes one held capture and accounts it as its tick, with its tick's time. */
  async #decode(h: HeldTick<Entry>): Promise<void> {
    const e = h.entry;
    const started = process.hrtime.bigint();
    const outcome = await this.#outcome(e, () => (e.sampler as Splittable).decode(h.captured, h.ctx));
    this.#account(e, h.ctx.nowNs, h.captureNs + process.hrtime.bigint() - started, outcome);
  }

  /** A tick's result, its errors counted and logged; a throw is a failed tick. */
  async #outcome(e: Entry, run: () => Promise<SampleResult>): Promise<Outcome> {
    try {
      // why: called inside the try, so that a sampler that throws before its first await is a failed tick too.
      const r = await run();
      if (r.errors && r.errors.length > 0) {
        e.state.errors += BigInt(r.errors.length);
        e.state.lastError = r.errors[0];
        this.#deps.logger.debug({ sampler: e.sampler.name, errors: r.errors.slice(0, 5) }, "sampler tick had errors");
      }
      return { ok: true, points: r.points };
    } catch (err) {
      return this.#failed(e, err);
    }
  }

  #failed(e: Entry, err: unknown): { ok: false; points: Sample[] } {
    e.state.errors += 1n;
    e.state.lastError = errorMessage(err);
    this.#deps.logger.warn({ sampler: e.sampler.name, err: e.state.lastError }, "sampler tick failed");
    return { ok: false, points: [] };
  }

  /** Counts a finished tick, adds the sampler's own point when due, and emits. */
  #account(e: Entry, tickNs: bigint, durationNs: bigint, { ok, points }: Outcome): void {
    e.state.ticks += 1n;
    e.state.points += BigInt(points.length);
    e.state.lastDurationNs = durationNs;
    noteTick(e.self, durationNs, ok);
    if (selfDue(e, tickNs, this.#deps.selfIntervalMs ?? 0)) points.push(selfPoint(e, tickNs, this.#deps.baseTags["agent_id"] ?? ""));
    if (points.length > 0) this.#deps.emit(points);
  }

  /**
   * Holds samples for forMs from now (extending a hold; at most the limit's maxMs), or ends the hold with 0: what
   * was held is then decoded and emitted in the background (holdState().heldTicks falls to 0 when done).
   */
  hold(forMs: number): HoldState {
    if (forMs <= 0 || this.#stopped) {
      this.#hold.release("released");
      return this.#hold.state();
    }
    return this.#hold.hold(forMs);
  }

  holdState(): HoldState {
    return this.#hold.state();
  }

  /** Changes the interval of one sampler (or all with name ""), optionally reverting after forMs. */
  setInterval(name: string, intervalMs: number, forMs = 0): number {
    let changed = 0;
    for (const e of this.#entries) {
      if (name !== "" && e.sampler.name !== name) continue;
      changed += 1;
      this.#applyInterval(e, intervalMs);
      if (e.revertTimer) clearTimeout(e.revertTimer);
      if (forMs > 0) {
        e.revertTimer = setTimeout(() => this.#applyInterval(e, e.defaultIntervalMs), forMs);
        e.revertTimer.unref();
      }
    }
    return changed;
  }

  #applyInterval(e: Entry, intervalMs: number): void {
    e.intervalMs = intervalMs;
    e.state.intervalMs = intervalMs;
    if (e.lane !== undefined && e.lane.intervalMs !== intervalMs && !this.#stopped) e.lane = this.#lanes.move(e, e.lane, intervalMs);
    this.#tickSoon(e);
  }

  /**
   * Overrides options of the sampler named `name`: `options` are merged (shallow) over its configured
   * options, the next tick starts at once and uses them; after forMs > 0 the configured options return
   * (forMs 0: until the next call). The caller validates the options. Returns the number changed (0 or 1).
   */
  setOptions(name: string, options: Readonly<Record<string, unknown>>, forMs = 0): number {
    const e = this.#entries.find((x) => x.sampler.name === name);
    if (!e) return 0;
    this.#applyOptions(e, { ...e.configuredOptions, ...options });
    clearTimeout(e.optionsRevertTimer);
    e.optionsRevertTimer = undefined;
    if (forMs > 0) {
      e.optionsRevertTimer = setTimeout(() => this.#applyOptions(e, e.configuredOptions), forMs);
      e.optionsRevertTimer.unref();
    }
    return 1;
  }

  #applyOptions(e: Entry, options: Record<string, unknown>): void {
    e.options = options;
    this.#tickSoon(e);
  }

  /** Ticks an idle, started sampler now (off the grid); a running tick is followed by its lane's next grid tick. */
  #tickSoon(e: Entry): void {
    if (e.lane === undefined || e.running || e.soon !== undefined || this.#stopped) return;
    e.soon = setTimeout(() => {
      e.soon = undefined;
      if (!e.running && !this.#stopped) void this.#tick(e, nowNs(), Date.now());
    }, 0);
  }

  /** Options the next tick of `name` uses (configured or overridden), undefined for an unknown sampler. */
  options(name: string): Readonly<Record<string, unknown>> | undefined {
    return this.#entries.find((x) => x.sampler.name === name)?.options;
  }

  states(): SamplerState[] {
    return this.#entries.map((e) => ({ ...e.state }));
  }

  /** Stops ticking; what a hold kept is decoded and emitted first. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#lanes.stop();
    this.#hold.release("stopping");
    await this.#hold.settle();
    for (const e of this.#entries) {
      clearTimeout(e.soon);
      clearTimeout(e.revertTimer);
      clearTimeout(e.optionsRevertTimer);
    }
    await Promise.all(this.#entries.map((e) => e.sampler.close?.().catch(() => undefined)));
  }
}
