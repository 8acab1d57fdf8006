// Self-observability of the agent and collector.
import type { MeasurementDef } from "./types.ts";

export const SELF_MEASUREMENTS: Record<string, MeasurementDef> = {
  eastwest_sampler: {
    doc: "One sampler's health on an agent since its previous report: slowest tick (duration_ns), up (no tick failed), and running totals of ticks, errors and points. Reported every tick when the sampler's interval is at least the agent's selfIntervalMs (1 s), else once per selfIntervalMs.",
    tags: ["agent_id", "sampler"],
    fields: {
      duration_ns: "uint",
      up: "bool",
      ticks_total: "uint",
      errors_total: "uint",
      points_total: "uint",
      interval_ms: "uint",
    },
  },
  eastwest_agent: {
    doc: "Agent pipeline state: buffered batches, points dropped on overflow, resends, connection; its own CPU and memory, whether it runs under SCHED_IDLE (sched_idle), whether it holds samples during a run (holding, held_bytes: captures not yet decoded), and the commands it refused (refused_commands_total: not allowed by its actions config, or from a collector its config does not name).",
    tags: ["agent_id"],
    fields: {
      buffered_batches: "uint",
      buffered_points: "uint",
      dropped_points_total: "uint",
      dropped_batches_total: "uint",
      resent_batches_total: "uint",
      rejected_batches_total: "uint",
      connected: "bool",
      rss_bytes: "uint",
      cpu_user_ns_total: "uint",
      cpu_system_ns_total: "uint",
      sched_idle: "bool",
      holding: "bool",
      held_bytes: "uint",
      refused_commands_total: "uint",
    },
  },
};
