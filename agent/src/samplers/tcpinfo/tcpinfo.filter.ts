// Flow selection for tcpinfo: options -> validated selectors -> an ss argument array (never a shell string).
import { isIP } from "node:net";
import { intOption, unknownKeys, type Parsed } from "../shared/options.ts";

/** One endpoint: a socket matches when its local or its remote end has this port and/or address. */
export interface FlowSelector {
  port?: number;
  address?: string;
}

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
  const raw = options["flows"] ?? [];
  const flows: FlowSelector[] = [];
  if (!Array.isArray(raw)) problems.push("flows: expected a list of {port?, address?}");
  else raw.forEach((entry: unknown, i) => {
    const flow = parseSelector(entry, `flows[${i}]`, problems);
    if (flow !== undefined) flows.push(flow);
  });
  const value = { flows, maxFlows: maxFlows.value, minIntervalMs: minInterval.value, backend: TCPINFO_BACKENDS.includes(backend as TcpInfoBackend) ? (backend as TcpInfoBackend) : "auto" };
  return { value, problems };
}

function parseSelector(entry: unknown, at: string, problems: string[]): FlowSelector | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    problems.push(`${at}: expected {port?, address?}`);
    return undefined;
  }
  const { port, address, ...rest } = entry as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(rest)) problems.push(`${at}.${key}: unknown key (known: port, address)`);
  if (port === undefined && address === undefined) problems.push(`${at}: needs a port, an address or both`);
  if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535)) {
    problems.push(`${at}.port: expected an integer in 1..65535, got ${JSON.stringify(port)}`);
  }
  // why: isIP accepts "fe80::1%eth0"; ss filters have no zone syntax, so zone ids are refused.
  if (address !== undefined && (typeof address !== "string" || isIP(address) === 0 || address.includes("%"))) {
    problems.push(`${at}.address: expected an IPv4 or IPv6 literal, got ${JSON.stringify(address)}`);
  }
  if (problems.length > before) return undefined;
  const out: FlowSelector = {};
  if (port !== undefined) out.port = port as number;
  if (address !== undefined) out.address = address as string;
  return out;
}

/** ss filter address form: IPv6 literals in brackets. */
function ssAddress(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

/** One selector as ss filter tokens. */
export function selectorTokens(flow: FlowSelector): string[] {
  const port = flow.port === undefined ? undefined : `:${flow.port}`;
  const addr = flow.address === undefined ? undefined : ssAddress(flow.address);
  if (addr === undefined && port !== undefined) return ["(", "sport", "=", port, "or", "dport", "=", port, ")"];
  if (port === undefined && addr !== undefined) return ["(", "src", addr, "or", "dst", addr, ")"];
  if (port !== undefined && addr !== undefined) {
    return ["(", "(", "src", addr, "and", "sport", "=", port, ")", "or", "(", "dst", addr, "and", "dport", "=", port, ")", ")"];
  }
  throw new Error("selector without port or address");
}

/** argv for `ss`: TCP sockets, internal TCP_INFO, numeric, no header, filtered to the selectors (OR). */
export function ssArgs(flows: readonly FlowSelector[]): string[] {
  if (flows.length === 0) throw new Error("ssArgs needs at least one flow selector");
  const filter: string[] = [];
  flows.forEach((flow, i) => {
    if (i > 0) filter.push("or");
    filter.push(...selectorTokens(flow));
  });
  return ["-t", "-i", "-n", "-H", "(", ...filter, ")"];
}
