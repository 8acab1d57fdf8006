// Model constants from a host calibration (the proto Calibration an agent sends). Pure.
import type { Calibration } from "@eastwest/proto";
import { resolveConstants, type ModelConstants, type ModelLayer } from "./constants.ts";
import { modelLayerSchema } from "./config.ts";

/** Calibration constant name -> model constant it sets. copy_us is not mapped: it follows from bandwidth. */
const FROM_CALIBRATION: Readonly<Record<string, "copy_bytes_per_s" | "syscall_us" | "exit_us">> = {
  copy_bytes_per_s: "copy_bytes_per_s",
  syscall_us: "syscall_us",
  exit_us: "exit_us",
};

/** The layer of measured constants only; defaults the agent fell back to are left to `base`. */
export function calibrationLayer(cal: Pick<Calibration, "constants">): ModelLayer {
  const layer: ModelLayer = {};
  for (const c of cal.constants) {
    const key = Object.hasOwn(FROM_CALIBRATION, c.name) ? FROM_CALIBRATION[c.name] : undefined;
    // why: a calibration is an agent's claim; a value the config would refuse is left to `base`.
    if (key !== undefined && c.measured && c.value > 0 && modelLayerSchema.shape[key].safeParse(c.value).success) layer[key] = c.value;
  }
  return layer;
}

/**
 * base with the measured constants applied. A measured copy bandwidth clears base.copy_us, so the copy cost
 * becomes packet_bytes / measured bandwidth (see resolveConstants).
 */
export function constantsFromCalibration(cal: Pick<Calibration, "constants">, base: ModelConstants): ModelConstants {
  return resolveConstants(base, calibrationLayer(cal));
}
