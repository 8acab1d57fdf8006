// Pure parser of `ss -tinH` text: a socket line, then an indented TCP_INFO line (iproute2 misc/ss.c tcp_show_info).
import { ParseError } from "@eastwest/common";
import { excerpt, uint, words } from "../../host/text.ts";
import { parseInfoTokens, type TcpInfo } from "./tcpinfo.info.ts";

export interface TcpFlow {
  /** As ss prints it: ESTAB, SYN-SENT, TIME-WAIT, ... */
  state: string;
  recvQBytes: bigint;
  sendQBytes: bigint;
  /** "addr:port" as ss prints it, e.g. "127.0.0.1:5201", "[::1]:22", "[fe80::1]%eth0:22". */
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
  /** Congestion control algorithm, when printed. */
  congestion?: string;
  /** Parsed TCP_INFO; empty when ss printed no info line (inet_diag / tcp_diag missing). */
  info: TcpInfo;
  /** ss printed an info line for this socket. */
  hasInfo: boolean;
}

export interface SsOutput {
  flows: TcpFlow[];
  errors: string[];
}

const SOURCE = "ss -tinH";
const SOCKET_LINE = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(.*)$/;

/** Port of an ss endpoint ("addr:port"); 0 for "*". undefined when malformed. */
export function endpointPort(endpoint: string): number | undefined {
  const colon = endpoint.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const port = endpoint.slice(colon + 1);
  if (port === "*") return 0;
  const n = uint(port);
  return n === undefined || n > 65535n ? undefined : Number(n);
}

export function parseSs(text: string): SsOutput {
  const out: SsOutput = { flows: [], errors: [] };
  const raw = text.split("\n").filter((l) => l.trim() !== "");
  let current: { head: string; info: string[] } | undefined;
  const blocks: Array<{ head: string; info: string[] }> = [];
  for (const line of raw) {
    // why: ss puts TCP_INFO on a continuation line starting with whitespace when stdout is not a tty.
    if (/^\s/.test(line) && current !== undefined) current.info.push(line.trim());
    else if (/^\s/.test(line)) out.errors.push(`${SOURCE}: info line without a socket line: ${excerpt(line)}`);
    else blocks.push((current = { head: line, info: [] }));
  }
  for (const block of blocks) {
    const flow = parseBlock(block.head, block.info.join(" "), out.errors);
    if (typeof flow === "string") out.errors.push(flow);
    else out.flows.push(flow);
  }
  if (blocks.length > 0 && out.flows.length === 0) {
    throw new ParseError(SOURCE, `no socket line parsed (${out.errors[0] ?? "unknown shape"})`);
  }
  return out;
}

/** One socket; malformed info values are reported in `errors` and the rest of the flow is kept. */
function parseBlock(head: string, infoText: string, errors: string[]): TcpFlow | string {
  const m = SOCKET_LINE.exec(head);
  if (m === null) return `${SOURCE}: expected "State Recv-Q Send-Q Local Peer", got ${excerpt(head)}`;
  const [, state = "", recvQ = "", sendQ = "", local = "", remote = "", rest = ""] = m;
  const localPort = endpointPort(local);
  const remotePort = endpointPort(remote);
  if (localPort === undefined || remotePort === undefined) return `${SOURCE}: bad endpoint in ${excerpt(head)}`;
  // why: some ss builds print the info on the socket line itself.
  const tokens = words(`${rest} ${infoText}`).filter((t) => t !== "");
  const parsed = parseInfoTokens(tokens);
  const flow: TcpFlow = {
    state,
    recvQBytes: BigInt(recvQ),
    sendQBytes: BigInt(sendQ),
    local,
    remote,
    localPort,
    remotePort,
    info: parsed.info,
    hasInfo: tokens.length > 0,
  };
  if (parsed.congestion !== undefined) flow.congestion = parsed.congestion;
  if (parsed.errors.length > 0) errors.push(`${SOURCE}: ${local} -> ${remote}: ${parsed.errors.join("; ")}`);
  return flow;
}
