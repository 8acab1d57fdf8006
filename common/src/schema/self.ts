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
    doc: "Agent pipeline state: buffered batches, points dropped on overflow, resends, connection; its own CPU and memory, whether it runs under SCHED_IDLE (sched_idle), whether it holds samples during a run (holding, held_bytes: captures not yet decoded), its spool: writable (false: batches are in memory only), bytes on disk, batches dropped because it was full, failed writes, bytes of torn records cut at start, and the commands it refused (refused_commands_total: not allowed by its actions config, or from a collector its config does not name).",
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
      spool_writable: "bool",
      spool_bytes: "uint",
      spool_dropped_batches_total: "uint",
      spool_write_errors_total: "uint",
      spool_truncated_bytes_total: "uint",
      refused_commands_total: "uint",
    },
  },
  eastwest_collector: {
    doc: "The collector's pipeline counters since it started (ingest/stats.ts), written every selfIntervalMs: batches received, stored, duplicate and rejected (refused by validation or a limit), points stored, store errors, undecodable frames, handler errors (a frame, message or request whose handler failed: answered with an error, the rest went on), log lines left out by the throttled log, and the receipt-to-store lag of the latest stored batch.",
    tags: ["collector_id"],
    fields: {
      batches_received_total: "uint",
      batches_stored_total: "uint",
      batches_duplicate_total: "uint",
      batches_rejected_total: "uint",
      points_stored_total: "uint",
      store_errors_total: "uint",
      frames_undecodable_total: "uint",
      handler_errors_total: "uint",
      log_lines_suppressed_total: "uint",
      lag_ns: "uint",
    },
  },
  eastwest_collector_limit: {
    doc: "What the collector refused for exceeding one of its limits (collector.limits.*, tag limit) since it started: batches, hellos, frames and new agent ids.",
    tags: ["collector_id", "limit"],
    fields: { refused_total: "uint" },
  },
};
