// Measurements written by the collector for traffic runs and the cost model.
import type { MeasurementDef } from "../schema.ts";

export const RUN_MEASUREMENTS: Record<string, MeasurementDef> = {
  cost_breakdown: {
    doc:
      "Cost-model breakdown of one window (collector/src/model/breakdown.ts): model time per term from observed counts per packet " +
      "against the measured time per packet (1 / packets/s); unexplained_us = measured - model, negative when the model over-predicts. " +
      "Carries the model version (tag) and the constants used (const_*). *_source: observed | model | none; fit: remainder | over_predicts | unmeasured.",
    tags: ["agent_id", "host", "vm", "run_id", "model_version", "copies_source", "syscalls_source", "exits_source", "fit"],
    fields: {
      model_per_packet_us: "float",
      measured_per_packet_us: "float",
      measured_packets_per_s: "float",
      unexplained_us: "float",
      unexplained_pct: "float",
      bytes_per_packet: "float",
      copies_per_packet: "float",
      copy_unit_us: "float",
      copies_us: "float",
      syscalls_per_packet: "float",
      syscall_unit_us: "float",
      syscalls_us: "float",
      exits_per_packet: "float",
      exit_unit_us: "float",
      exits_us: "float",
      const_packet_bytes: "float",
      const_copies: "float",
      const_copy_us: "float",
      const_copy_bytes_per_s: "float",
      const_syscalls: "float",
      const_syscall_us: "float",
      const_exits: "float",
      const_exit_us: "float",
    },
  },
};
