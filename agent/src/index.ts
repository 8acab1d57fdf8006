// @eastwest/agent: the agent as a library, for the eastwest binary (cli/) and for embedding. "@eastwest/agent/calibrate"
// is the host calibration alone (perf bench), loaded without the agent's transports. Everything not listed is internal.
export { Agent, AGENT_VERSION } from "./agent.ts";
export type { AgentDeps } from "./agent.ts";
export { AGENT_ENV, agentConfigSchema, agentDefaults, loadAgentConfig } from "./config.ts";
export type { AgentConfig } from "./config.ts";
export { realExec } from "./runtime/exec.ts";
export type { Exec, ExecOptions, ExecResult } from "./runtime/exec.ts";
export { calibrate } from "./calibrate/index.ts";
