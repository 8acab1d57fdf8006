// tcpinfo options: validated flow selectors (host/ss.filter.ts), the flow bound, the read pace, the backend.
import { intOption, unknownKeys, type Parsed } from "../shared/options.ts";
import { parseFlowSelectors, type FlowSelector } from "../../host/ss.filter.ts";

/** How TCP_INFO is read: netlink sock_diag through one long-lived perl helper, or an `ss` run per query. */
export type TcpInfoBackend = "auto" | "sockdiag" | "ss";
export const TCPINFO_BACKENDS: readonly TcpInfoBackend[] = ["auto", "sockdiag", "ss"];

export interface TcpInfoOptions {
  flows: FlowSelector[];
  /** Cardinality bound: at most this many sockets are emitted per tick. */
  maxFlows: number;
  /** TCP_INFO is read at most this often (ms), whatever the sampler's interval (either backend). */
  minIntervalMs: number;
  /** "auto" (default): sockdiag, else ss when sockdiag does not work here. */
  backend: TcpInfoBackend;
}

export const DEFAULT_MIN_INTERVAL_MS = 500;

export const DEFAULT_MAX_FLOWS = 16;

export function parseTcpInfoOptions(options: Readonly<Record<string, unknown>>): Parsed<TcpInfoOptions> {
  const maxFlows = intOption(options, "maxFlows", DEFAULT_MAX_FLOWS, 1, 1024);
  const minInterval = intOption(options, "minIntervalMs", DEFAULT_MIN_INTERVAL_MS, 0, 3_600_000);
  const problems = [...unknownKeys(options, ["flows", "maxFlows", "minIntervalMs", "backend"]), ...maxFlows.problems, ...minInterval.problems];
  const backend = options["backend"] ?? "auto";
  if (!TCPINFO_BACKENDS.includes(backend as TcpInfoBackend)) {
    problems.push(`backend: expected one of ${TCPINFO_BACKENDS.join(", ")}, got ${JSON.stringify(backend)}`);
  }
  const flows = parseFlowSelectors(options["flows"], problems);
  const value = { flows, maxFlows: maxFlows.value, minIntervalMs: minInterval.value, backend: TCPINFO_BACKENDS.includes(backend as TcpInfoBackend) ? (backend as TcpInfoBackend) : "auto" };
  return { value, problems };
}
