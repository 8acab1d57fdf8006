// Runs each sampler on its own interval. A sampler that throws, times out or
// is unavailable never stops the others. Each sampler reports its health as an
// eastwest_sampler point: its slowest tick, success, errors and points since
// the last report, on every tick when it samples at selfIntervalMs or slower,
// else once per selfIntervalMs.
//
// why: at 10 Hz a point per sampler per tick was a third of everything an agent
// sent, and its cost (encoding, ingest, storage) was paid by the hosts being measured.
//
// Holding (hold(forMs)): samplers that can split a tick (capture, decode) only capture at each tick while samples
// are held; when the hold ends (release, its time, its memory limit, stop) the captures are decoded in tick order
// and their points emitted with their tick's time. Samplers that cannot split keep sampling as usual.
//
// why: samplers sharing an interval share one timer (a lane) on a wall-clock grid of that interval, so the
// process wakes once per grid tick, not once per sampler (at 10 Hz each extra wake-up costs about as much as
// parsing a small /proc file), and the cadence does not drift by the sampling time.
import type { Logger, Sample } from "@eastwest/common";
import { errorMessage, nowNs } from "@eastwest/common";
import type { Availability, Captured, SampleContext, SampleResult, Sampler } from "../samplers/types.ts";
import type { Exec } from "./exec.ts";
import type { HostFs } from "./hostfs.ts";
import { Deadline, TickContext } from "./tick-context.ts";

export interface ScheduledSampler {
  sampler: Sampler;
  intervalMs: number;
  options: Record<string, unknown>;
}

export interface SamplerState {
  name: string;
  intervalMs: number;
  availability: Availability;
  ticks: bigint;
  errors: bigint;
  points: bigint;
  lastDurationNs: bigint;
  lastError: string | undefined;
}

/** What a sampler's ticks since its last eastwest_sampler point add up to. */
interface SelfWindow {
  /** Time of the tick that made the last report (undefined: none yet). */
  reportedNs: bigint | undefined;
  maxDurationNs: bigint;
  allOk: boolean;
}

export interface SchedulerDeps {
  fs: HostFs;
  exec: Exec;
  baseTags: Record<string, string>;
  logger: Logger;
  emit: (points: Sample[]) => void;
  /** eastwest_sampler points at most this often per sampler (0: every tick). */
  selfIntervalMs?: number;
  /** Limits of a hold (default DEFAULT_HOLD_LIMITS). */
  hold?: HoldLimits;
}

export interface HoldLimits {
  /** Captures held take at most about this much memory; past it the hold ends early and they are decoded. */
  maxBytes: number;
  /** A hold lasts at most this long, whatever it asks for. */
  maxMs: number;
}

export const DEFAULT_HOLD_LIMITS: HoldLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 600_000 };

export interface HoldState {
  holding: boolean;
  /** Captures waiting to be decoded (also while a hold that ended is being decoded). */
  heldTicks: number;
  heldBytes: number;
}

/** A tick that captured while samples were held. */
interface HeldTick {
  entry: Entry;
  ctx: SampleContext;
  captured: Captured;
  /** The capture's own time: part of the tick's duration. */
  captureNs: bigint;
}

type Splittable = Sampler & Required<Pick<Sampler, "capture" | "decode">>;

const splits = (s: Sampler): s is Splittable => s.capture !== undefined && s.decode !== undefined;

/** Delay to the next multiple of intervalMs after now, and at least to the next one after the tick's start. */
export function untilNextGridMs(nowMs: number, intervalMs: number, startedMs: number): number {
  const next = (Math.floor(startedMs / intervalMs) + 1) * intervalMs;
  const due = next > nowMs ? next : (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
  return Math.max(0, due - nowMs);
}

/** Samplers (and other periodic work) on one interval, woken by one timer on its grid. */
interface Lane {
  intervalMs: number;
  timer: NodeJS.Timeout | undefined;
  entries: Set<Entry>;
  extras: Array<() => void>;
}

type Entry = ScheduledSampler & {
  state: SamplerState;
  /** The lane it ticks in, once started. */
  lane?: Lane;
  /** An out-of-grid tick asked for by setInterval/setOptions. */
  soon?: NodeJS.Timeout;
  running: boolean;
  defaultIntervalMs: number;
  revertTimer?: NodeJS.Timeout;
  configuredOptions: Record<string, unknown>;
  optionsRevertTimer?: NodeJS.Timeout;
  /** Tags of its eastwest_sampler point, made once and frozen (points share them; the encoder keeps their bytes). */
  selfTags?: Readonly<Record<string, string>>;
  self: SelfWindow;
};

/** Held ticks decoded per event-loop turn. */
const DECODES_PER_TURN = 50;

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #entries: Entry[];
  readonly #lanes = new Map<number, Lane>();
  #started = false;
  #stopped = false;
  #holding = false;
  #holdTimer: NodeJS.Timeout | undefined;
  /** Captures not decoded yet, in tick order. */
  #held: HeldTick[] = [];
  #heldBytes = 0;
  /** Decoding what a hold kept; while it runs, ticks of splitting samplers still capture (behind what is held). */
  #draining: Promise<void> | undefined;

  constructor(samplers: ScheduledSampler[], deps: SchedulerDeps) {
    this.#deps = deps;
    this.#entries = samplers.map((s) => ({
      ...s,
      running: false,
      defaultIntervalMs: s.intervalMs,
      configuredOptions: s.options,
      self: { reportedNs: undefined, maxDurationNs: 0n, allOk: true },
      state: { name: s.sampler.name, intervalMs: s.intervalMs, availability: { available: true }, ticks: 0n, errors: 0n, points: 0n, lastDurationNs: 0n, lastError: undefined },
    }));
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
    for (const e of this.#entries) {
      if (!e.state.availability.available) continue;
      e.lane = this.#lane(e.intervalMs);
      e.lane.entries.add(e);
    }
    for (const lane of this.#lanes.values()) this.#arm(lane, 0);
  }

  /** Runs `fn` on the grid of intervalMs, in the same wake-up as the samplers of that interval (e.g. the agent's own point). */
  every(intervalMs: number, fn: () => void): void {
    const fresh = !this.#lanes.has(intervalMs);
    const lane = this.#lane(intervalMs);
    lane.extras.push(fn);
    if (fresh && this.#started) this.#armOnGrid(lane);
  }

  #lane(intervalMs: number): Lane {
    let lane = this.#lanes.get(intervalMs);
    if (lane === undefined) {
      lane = { intervalMs, timer: undefined, entries: new Set(), extras: [] };
      this.#lanes.set(intervalMs, lane);
    }
    return lane;
  }

  #arm(lane: Lane, delayMs: number): void {
    if (this.#stopped) return;
    lane.timer = setTimeout(() => this.#fire(lane), delayMs);
  }

  #armOnGrid(lane: Lane): void {
    const now = Date.now();
    this.#arm(lane, untilNextGridMs(now, lane.intervalMs, now));
  }

  #fire(lane: Lane): void {
    lane.timer = undefined;
    if (lane.entries.size === 0 && lane.extras.length === 0) {
      this.#lanes.delete(lane.intervalMs);
      return;
    }
    const startedMs = Date.now();
    const tickNs = nowNs();
    for (const fn of lane.extras) {
      try {
        fn();
      } catch (err) {
        this.#deps.logger.warn({ err: errorMessage(err) }, "periodic work failed"); // why: never at the samplers' cost
      }
    }
    // why: a sampler still in its previous tick (slower than its interval) skips this grid point.
    for (const e of lane.entries) if (!e.running) void this.#tick(e, tickNs, startedMs);
    this.#arm(lane, untilNextGridMs(Date.now(), lane.intervalMs, startedMs));
  }

  async #tick(e: Entry, tickNs: bigint, startedMs: number): Promise<void> {
    const started = process.hrtime.bigint();
    e.running = true;
    let deadline: Deadline | undefined;
    const ctx = this.#ctx(e, tickNs, () => (deadline ??= new Deadline(startedMs + e.intervalMs)).signal);
    const sampler = e.sampler;
    if ((this.#holding || this.#draining !== undefined) && splits(sampler)) {
      try {
        const captured = await sampler.capture(ctx);
        this.#keep({ entry: e, ctx, captured, captureNs: process.hrtime.bigint() - started });
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

  /** A tick's result, its errors counted and logged; a throw is a failed tick. */
  async #outcome(e: Entry, run: () => Promise<SampleResult>): Promise<{ ok: boolean; points: Sample[] }> {
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
  #account(e: Entry, tickNs: bigint, durationNs: bigint, { ok, points }: { ok: boolean; points: Sample[] }): void {
    e.state.ticks += 1n;
    e.state.points += BigInt(points.length);
    e.state.lastDurationNs = durationNs;
    const w = e.self;
    if (durationNs > w.maxDurationNs) w.maxDurationNs = durationNs;
    w.allOk &&= ok;
    if (this.#selfDue(e, tickNs)) points.push(this.#selfPoint(e, tickNs));
    if (points.length > 0) this.#deps.emit(points);
  }

  /**
   * Holds samples for forMs from now (extending a hold; at most the limit's maxMs), or ends the hold with 0: what
   * was held is then decoded and emitted in the background (holdState().heldTicks falls to 0 when done).
   */
  hold(forMs: number): HoldState {
    if (forMs <= 0 || this.#stopped) {
      this.#release("released");
      return this.holdState();
    }
    const ms = Math.min(forMs, this.#limits.maxMs);
    clearTimeout(this.#holdTimer);
    this.#holdTimer = setTimeout(() => this.#release("hold time over"), ms);
    this.#holdTimer.unref();
    if (!this.#holding) this.#deps.logger.debug({ for_ms: ms }, "holding samples");
    this.#holding = true;
    return this.holdState();
  }

  holdState(): HoldState {
    return { holding: this.#holding, heldTicks: this.#held.length, heldBytes: this.#heldBytes };
  }

  get #limits(): HoldLimits {
    return this.#deps.hold ?? DEFAULT_HOLD_LIMITS;
  }

  #keep(h: HeldTick): void {
    this.#held.push(h);
    this.#heldBytes += h.captured.bytes;
    if (!this.#holding) this.#drainSoon();
    else if (this.#heldBytes > this.#limits.maxBytes) {
      this.#deps.logger.warn({ held_bytes: this.#heldBytes, max_bytes: this.#limits.maxBytes, held_ticks: this.#held.length }, "hold ended early: held captures reached hold.maxBytes");
      this.#release("memory limit");
    }
  }

  #release(why: string): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    if (this.#holding) this.#deps.logger.debug({ why, held_ticks: this.#held.length, held_bytes: this.#heldBytes }, "hold ended: decoding held samples");
    this.#holding = false;
    this.#drainSoon();
  }

  #drainSoon(): void {
    if (this.#draining !== undefined || this.#held.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // why: a capture that finished between the drain's last look and now is still held.
      if (!this.#holding) this.#drainSoon();
    });
  }

  /**
   * Decodes the held captures in tick order, and those captured meanwhile, until none is left or a new hold starts
   * (its traffic should not share its CPUs with the decoding; its end resumes it, behind the same queue).
   */
  async #drain(): Promise<void> {
    let decoded = 0;
    while (!this.#holding) {
      // why: shift() on a large array is cheap in V8 (it moves the array's start), and keeps one queue in order.
      const h = this.#held.shift();
      if (h === undefined) break;
      this.#heldBytes -= h.captured.bytes;
      const e = h.entry;
      const started = process.hrtime.bigint();
      const outcome = await this.#outcome(e, () => (e.sampler as Splittable).decode(h.captured, h.ctx));
      this.#account(e, h.ctx.nowNs, h.captureNs + process.hrtime.bigint() - started, outcome);
      // why: a long hold decodes for a while: let batches go out and timers fire meanwhile.
      if (++decoded % DECODES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    }
    // why: sizes are estimates summed in and out; an empty queue holds nothing.
    if (this.#held.length === 0) this.#heldBytes = 0;
  }

  /**
   * Whether this tick reports: the first one does, and then the first at least selfIntervalMs after the last report,
   * less half an interval so that grid jitter does not skip a report.
   */
  #selfDue(e: Entry, tickNs: bigint): boolean {
    const last = e.self.reportedNs;
    const selfMs = this.#deps.selfIntervalMs ?? 0;
    if (last === undefined || e.intervalMs >= selfMs) return true;
    return (tickNs - last) * 2n >= BigInt(2 * selfMs - e.intervalMs) * 1_000_000n;
  }

  #selfPoint(e: Entry, timeNs: bigint): Sample {
    const w = e.self;
    const point: Sample = {
      measurement: "eastwest_sampler",
      tags: (e.selfTags ??= Object.freeze({ agent_id: this.#deps.baseTags["agent_id"] ?? "", sampler: e.sampler.name })),
      fields: {
        duration_ns: w.maxDurationNs,
        up: w.allOk,
        ticks_total: e.state.ticks,
        errors_total: e.state.errors,
        points_total: e.state.points,
        interval_ms: BigInt(e.intervalMs),
      },
      timeNs,
    };
    w.reportedNs = timeNs;
    w.maxDurationNs = 0n;
    w.allOk = true;
    return point;
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
    if (e.lane !== undefined && e.lane.intervalMs !== intervalMs && !this.#stopped) {
      e.lane.entries.delete(e);
      const fresh = !this.#lanes.has(intervalMs);
      e.lane = this.#lane(intervalMs);
      e.lane.entries.add(e);
      if (fresh) this.#armOnGrid(e.lane);
    }
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
    for (const lane of this.#lanes.values()) clearTimeout(lane.timer);
    this.#release("stopping");
    while (this.#draining !== undefined) await this.#draining;
    for (const e of this.#entries) {
      clearTimeout(e.soon);
      clearTimeout(e.revertTimer);
      clearTimeout(e.optionsRevertTimer);
    }
    await Promise.all(this.#entries.map((e) => e.sampler.close?.().catch(() => undefined)));
  }
}
