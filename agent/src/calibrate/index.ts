// Host calibration of the cost-model constants.
export { calibrate, DEFAULT_CALIBRATION, memcpyArgs, syscallArgs } from "./calibrate.ts";
export type { CalibrateOptions, CalibrationDefaults } from "./calibrate.ts";
export { parseMemcpy, parseMemcpyRates, parseSyscallBasic } from "./perf-bench.parse.ts";
export type { MemcpyRate, SyscallBench } from "./perf-bench.parse.ts";
