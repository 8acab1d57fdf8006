// Host calibration of the cost-model constants.
export { calibrate, DEFAULT_CALIBRATION, memcpyArgs, syscallArgs } from "./calibrate.ts";
export type { CalibrateOptions, CalibrationDefaults } from "./calibrate.ts";
export { parseMemcpy, parseMemcpyRates, parseSyscallBasic } from "./perf-bench.parse.ts";
export type { MemcpyRate, SyscallBench } from "./perf-bench.parse.ts";
// why: the calibrate entry point runs perf bench with the real exec, without loading the rest of the agent.
export { realExec } from "../runtime/exec.ts";
export type { Exec } from "../runtime/exec.ts";
