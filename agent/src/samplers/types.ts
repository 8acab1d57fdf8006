// The sampler contract. A sampler is a folder under samplers/ with
// <name>.sampler.ts (wiring), <name>.parse.ts (pure parsing) and README.md,
// plus one line in samplers/index.ts.
import type { Sample } from "@eastwest/common";
import type { HostFs } from "../runtime/hostfs.ts";
import type { Exec } from "../runtime/exec.ts";

export interface SampleContext {
  /** Tick time, Unix epoch ns: stamp every point of this tick with it. */
  nowNs: bigint;
  /** Aborted when the tick's deadline (the interval) passes. */
  signal: AbortSignal;
  /** The only way to read /proc and /sys (roots point at fixture trees in tests). */
  fs: HostFs;
  /** The only way to run an external tool: an argument array, never a shell string. */
  exec: Exec;
  /** Tags every point carries (agent_id, host, netns); samplers add their own. */
  baseTags: Readonly<Record<string, string>>;
  /** This sampler's current interval (ms); raised during runs. */
  intervalMs?: number;
  /** Per-sampler options from config (e.g. interface filters, flow filters). */
  options: Readonly<Record<string, unknown>>;
  /**
   * The clock that stamps when a source was read, for rates (monotonic ns; not comparable with nowNs). Absent (a
   * test's context): rates are over nowNs. why: a read comes some time after its tick began, and how long after
   * varies from tick to tick with the host's load; a rate over the time between ticks is off by that difference.
   */
  readClock?(): bigint;
}

export type Availability = { available: true } | { available: false; reason: string };

export interface SampleResult {
  points: Sample[];
  /** Non-fatal problems in this tick (a line that did not parse, one device that vanished). */
  errors?: string[];
}

/** What a sampler's capture read, to be decoded later (see Sampler.capture); sampler-specific beyond its size. */
export interface Captured {
  /** About how much memory it holds, bytes (what a hold counts against its limit). */
  readonly bytes: number;
}

export interface Sampler {
  readonly name: string;
  readonly defaultIntervalMs: number;
  /** Only meaningful on a hypervisor host (e.g. QEMU discovery): not run by agents with role guest. */
  readonly hostOnly?: boolean;
  /** Optional: probe the source once. A reason must start with "unavailable: ". */
  init?(ctx: SampleContext): Promise<Availability>;
  sample(ctx: SampleContext): Promise<SampleResult>;
  /**
   * Optional, with decode: the tick in two halves. capture() only reads its sources (files) and decode() turns
   * what it read into the tick's result, given the same context; sample(ctx) is decode(await capture(ctx), ctx).
   * why: while samples are held (a traffic run), ticks only capture, and the parsing, rates, points, encoding and
   * sending wait until the traffic is over (runtime/scheduler.ts).
   */
  capture?(ctx: SampleContext): Promise<Captured>;
  /**
   * Called once per capture, in capture order, never concurrently with sample() or another decode(). `ctx` is the
   * capture's (its tick time, options, interval); its signal may have passed, so a decode must not wait on anything.
   */
  decode?(captured: Captured, ctx: SampleContext): Promise<SampleResult>;
  /** Idempotent. */
  close?(): Promise<void>;
}

export type SamplerFactory = () => Sampler;
