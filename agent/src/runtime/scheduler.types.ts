// The Scheduler's public shapes: what it runs, what it needs, and the state it reports per sampler.
import type { Logger, Sample } from "@eastwest/common";
import type { Availability, Sampler } from "../samplers/types.ts";
import type { Exec } from "./exec.ts";
import type { HostFs } from "./hostfs.ts";
import type { HoldLimits } from "./hold-queue.ts";

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
  /** eastwest_sampler points at most this often per sampler (0: every tick). */
  selfIntervalMs?: number;
  /** Limits of a hold (default DEFAULT_HOLD_LIMITS). */
  hold?: HoldLimits;
}
