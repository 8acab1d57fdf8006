// Flow selectors (a socket matches when its local or remote end has this port and/or address): validation and the
// `ss` argument array for them (never a shell string). Shared by the tcpinfo sampler and the watchFlows action.
import { isIP } from "node:net";

/** One endpoint: a socket matches when its local or its remote end has this port and/or address. */
export interface FlowSelector {
  port?: number;
  address?: string;
}

/**
 * `raw` (undefined: none) as selectors; each problem is pushed to `problems` as "flows[i]...: what", and the entry
 * is left out.
 */
export function parseFlowSelectors(raw: unknown, problems: string[]): FlowSelector[] {
  const flows: FlowSelector[] = [];
  const list = raw ?? [];
  if (!Array.isArray(list)) problems.push("flows: expected a list of {port?, address?}");
  else list.forEach((entry: unknown, i) => {
    const flow = parseSelector(entry, `flows[${i}]`, problems);
    if (flow !== undefined) flows.push(flow);
  });
  return flows;
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
