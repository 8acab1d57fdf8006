// Runs each sampler on its own interval. A sampler that throws, times out or
// is unavailable never stops the others; each tick reports its own duration,
// success and point count as an eastwest_sampler point.
import type { Logger, Sample } from "@eastwest/common";
import { errorMessage, nowNs } from "@eastwest/common";
import type { Availability, SampleContext, Sampler } from "../samplers/types.ts";
import type { Exec } from "./exec.ts";
import type { HostFs } from "./hostfs.ts";

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

export interface SchedulerDeps {
  fs: HostFs;
  exec: Exec;
  baseTags: Record<string, string>;
  logger: Logger;
  emit: (points: Sample[]) => void;
}

/** Delay to the next multiple of intervalMs after now, and at least to the next one after the tick's start. */
export function untilNextGridMs(nowMs: number, intervalMs: number, startedMs: number): number {
  const next = (Math.floor(startedMs / intervalMs) + 1) * intervalMs;
  const due = next > nowMs ? next : (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
  return Math.max(0, due - nowMs);
}

type Entry = ScheduledSampler & {
  state: SamplerState;
  timer?: NodeJS.Timeout;
  running: boolean;
  defaultIntervalMs: number;
  revertTimer?: NodeJS.Timeout;
  configuredOptions: Record<string, unknown>;
  optionsRevertTimer?: NodeJS.Timeout;
};

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #entries: Entry[];
  #stopped = false;

  constructor(samplers: ScheduledSampler[], deps: SchedulerDeps) {
    this.#deps = deps;
    this.#entries = samplers.map((s) => ({
      ...s,
      running: false,
      defaultIntervalMs: s.intervalMs,
      configuredOptions: s.options,
      state: { name: s.sampler.name, intervalMs: s.intervalMs, availability: { available: true }, ticks: 0n, errors: 0n, points: 0n, lastDurationNs: 0n, lastError: undefined },
    }));
  }

  #ctx(e: ScheduledSampler, signal: AbortSignal): SampleContext {
    return { nowNs: nowNs(), signal, fs: this.#deps.fs, exec: this.#deps.exec, baseTags: this.#deps.baseTags, options: e.options, intervalMs: e.intervalMs };
  }

  /** Probes every sampler once; unavailable ones are reported and skipped. */
  async init(): Promise<SamplerState[]> {
    await Promise.all(
      this.#entries.map(async (e) => {
        if (!e.sampler.init) return;
        try {
          e.state.availability = await e.sampler.init(this.#ctx(e, AbortSignal.timeout(Math.max(e.intervalMs, 5000))));
        } catch (err) {
          e.state.availability = { available: false, reason: `unavailable: init failed: ${errorMessage(err)}` };
        }
        if (!e.state.availability.available) this.#deps.logger.warn({ sampler: e.sampler.name, reason: e.state.availability.reason }, "sampler unavailable");
      }),
    );
    return this.states();
  }

  start(): void {
    for (const e of this.#entries) if (e.state.availability.available) this.#schedule(e, 0);
  }

  #schedule(e: Entry, delayMs: number): void {
    if (this.#stopped) return;
    e.timer = setTimeout(() => void this.#tick(e), delayMs);
  }

  async #tick(e: Entry): Promise<void> {
    const started = process.hrtime.bigint();
    const startedMs = Date.now();
    e.running = true;
    const ctx = this.#ctx(e, AbortSignal.timeout(e.intervalMs));
    let ok = true;
    let points: Sample[] = [];
    try {
      const result = await e.sampler.sample(ctx);
      points = result.points;
      if (result.errors && result.errors.length > 0) {
        e.state.errors += BigInt(result.errors.length);
        e.state.lastError = result.errors[0];
        this.#deps.logger.debug({ sampler: e.sampler.name, errors: result.errors.slice(0, 5) }, "sampler tick had errors");
      }
    } catch (err) {
      ok = false;
      e.state.errors += 1n;
      e.state.lastError = errorMessage(err);
      this.#deps.logger.warn({ sampler: e.sampler.name, err: e.state.lastError }, "sampler tick failed");
    }
    e.running = false;
    const durationNs = process.hrtime.bigint() - started;
    e.state.ticks += 1n;
    e.state.points += BigInt(points.length);
    e.state.lastDurationNs = durationNs;
    points.push(this.#selfPoint(e, ctx.nowNs, durationNs, ok));
    this.#deps.emit(points);
    // why: ticks sit on a wall-clock grid of the interval, so samplers sharing an interval wake the process
    // once per tick, not once each (fewer wake-ups steal less CPU from the traffic being measured), and the
    // cadence does not drift by the sampling time.
    this.#schedule(e, untilNextGridMs(Date.now(), e.intervalMs, startedMs));
  }

  #selfPoint(e: Entry, timeNs: bigint, durationNs: bigint, ok: boolean): Sample {
    return {
      measurement: "eastwest_sampler",
      tags: { agent_id: this.#deps.baseTags["agent_id"] ?? "", sampler: e.sampler.name },
      fields: { duration_ns: durationNs, up: ok, errors_total: e.state.errors, points_total: e.state.points, interval_ms: BigInt(e.intervalMs) },
      timeNs,
    };
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

  /** Reschedules an idle, available sampler to tick now; a running tick reschedules itself. */
  #tickSoon(e: Entry): void {
    if (!e.state.availability.available || this.#stopped) return;
    if (!e.running && e.timer) {
      clearTimeout(e.timer);
      this.#schedule(e, 0);
    }
  }

  /** Options the next tick of `name` uses (configured or overridden), undefined for an unknown sampler. */
  options(name: string): Readonly<Record<string, unknown>> | undefined {
    return this.#entries.find((x) => x.sampler.name === name)?.options;
  }

  states(): SamplerState[] {
    return this.#entries.map((e) => ({ ...e.state }));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const e of this.#entries) {
      clearTimeout(e.timer);
      clearTimeout(e.revertTimer);
      clearTimeout(e.optionsRevertTimer);
    }
    await Promise.all(this.#entries.map((e) => e.sampler.close?.().catch(() => undefined)));
  }
}
