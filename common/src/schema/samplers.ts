// Measurements emitted by the agent's samplers (agent/src/samplers/*).
import type { MeasurementDef } from "../schema.ts";

export const SAMPLER_MEASUREMENTS: Record<string, MeasurementDef> = {};
