// @eastwest/collector/model: the cost model (pure: no I/O, no clock), its constants from flags, files and a
// host's calibration, and its text formatting. Loaded without the collector's server parts.
export { breakdown, ceiling, CONSTANT_KEYS, efficiency, MODEL_VERSION, modelTerms, PAPER_CONSTANTS, resolveConstants } from "./cost-model.ts";
export type { Breakdown, BreakdownTerm, Ceiling, CopyBasis, CountSource, ModelConstants, ModelLayer, Observed, Term, TermName } from "./cost-model.ts";
export { calibrationLayer, constantsFromCalibration } from "./calibrated.ts";
export { CONSTANT_FLAG_SPEC, CONSTANT_FLAGS, layerFromDocument, layerFromFlags, modelLayerSchema, parseNumber } from "./config.ts";
export { parseFlags } from "./flags.ts";
export type { FlagDef, FlagSpec, ParsedFlags } from "./flags.ts";
export { fmtCount, fmtGBps, fmtGbit, fmtInt, fmtPct, fmtUs, formatBreakdown, formatCeiling, packetsUnit, renderTable } from "./format.ts";
export { calibrationUse, parseCalibrationDoc } from "./calibration-doc.ts";
export type { CalibrationConstantDoc, CalibrationDoc, CalibrationUse } from "./calibration-doc.ts";
