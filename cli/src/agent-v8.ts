// The agent's V8 runs without background threads and without its top-tier compiler. why: an agent ticks a few
// times a second on a small heap, and V8's concurrent compiler and GC threads, and TurboFan compiling code that
// runs once a second, cost more than they save there. Measured on a 2-core host, an agent at 1 Hz with every
// sampler: 0.75-0.80 % of a core as Node starts it, 0.55-0.57 % with --single-threaded, 0.47-0.50 % with
// --no-opt too; at 10 Hz --no-opt made no difference (1.46-1.60 % either way; Maglev still optimizes). The flags
// only work from V8's start (v8.setFlagsFromString later gave 0.75 %), so `eastwest agent` re-executes itself
// with them: execve keeps the pid, stdio and environment, so supervisors, tests and benchmarks see one process.
// The young generation is capped at 1 MiB a semi-space (V8's default grows to 16): five bundled agents at 1 Hz
// side by side for 5 min, RSS sampled every 10 s: 104.4 MiB mean without the cap, 98.9 with it, CPU within 2 %
// (678 vs 695 ticks); --lite-mode gave 91.9 and --jitless 94.2 MiB, but at +30 % and +28 % CPU, so they stay off.

/** V8 flags `eastwest agent` runs with; EASTWEST_AGENT_V8_FLAGS="" runs without them. */
export const AGENT_V8_FLAGS: readonly string[] = ["--single-threaded", "--no-opt", "--max-semi-space-size=1"];

// glibc's malloc serves requests from 32 KiB up with their own mappings, returned to the kernel on free. why: every
// read of a pipe or socket takes a 64 KiB buffer and V8's compiler takes 32 KiB zone segments; from the main heap
// they left it fragmented and never given back (its [heap] mapping held 15 MiB). Four bundled agents at 1 Hz side
// by side, two with it: 73.5 against 84.6 MiB RSS, the same CPU (120 and 121 ticks against 121 and 117 over the
// first 4 minutes). glibc reads it when the process starts, so the re-exec sets it; an operator's own value wins,
// and the agent takes it out of its environment once started, so the tools it runs keep glibc's defaults.
export const AGENT_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "32768" };
/** Names the variables the re-exec (or the launcher) added, for the agent to take out again. */
export const MALLOC_MARK = "EASTWEST_AGENT_MALLOC";

/** The malloc settings to add: those the environment does not set already. */
export function missingAgentEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(AGENT_MALLOC_ENV).filter(([k]) => env[k] === undefined));
}

/** Takes the settings the re-exec added (MALLOC_MARK) out of env, so child processes do not inherit them. */
export function dropAgentMallocEnv(env: NodeJS.ProcessEnv): void {
  const mark = env[MALLOC_MARK];
  if (mark === undefined) return;
  for (const k of mark.split(",")) if (Object.hasOwn(AGENT_MALLOC_ENV, k)) delete env[k];
  delete env[MALLOC_MARK];
}

export interface Reexec {
  execArgv: readonly string[];
  argv: readonly string[];
  execPath: string;
  env: NodeJS.ProcessEnv;
  execve?: (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;
}

/** The flags to add: from EASTWEST_AGENT_V8_FLAGS (space separated) or the defaults, minus those already given. */
export function missingAgentFlags(execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const wanted = env["EASTWEST_AGENT_V8_FLAGS"] === undefined ? AGENT_V8_FLAGS : env["EASTWEST_AGENT_V8_FLAGS"].split(/\s+/).filter(Boolean);
  return wanted.filter((f) => !execArgv.includes(f));
}

/**
 * Replaces this process with itself plus the agent's V8 flags and malloc settings when some are missing. Returns
 * (and the agent runs as it is, the added malloc settings taken out of its environment) when nothing is missing,
 * when this process is already the re-executed one, or without execve.
 */
export function reexecWithAgentFlags(p: Reexec): void {
  const missing = missingAgentFlags(p.execArgv, p.env);
  const env = missingAgentEnv(p.env);
  const added = Object.keys(env);
  // why: the marker stops a loop should a runtime ever drop a flag from execArgv.
  if ((missing.length === 0 && added.length === 0) || p.env["EASTWEST_AGENT_REEXEC"] === "1" || p.execve === undefined) return dropAgentMallocEnv(p.env);
  const mark = added.length > 0 ? { [MALLOC_MARK]: added.join(",") } : {};
  p.execve(p.execPath, [p.execPath, ...missing, ...p.execArgv, ...p.argv.slice(1)], { ...p.env, ...env, ...mark, EASTWEST_AGENT_REEXEC: "1" });
}
