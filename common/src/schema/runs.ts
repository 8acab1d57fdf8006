// Measurements written by the collector for traffic runs and the cost model.
import type { MeasurementDef } from "../schema.ts";

export const RUN_MEASUREMENTS: Record<string, MeasurementDef> = {};
