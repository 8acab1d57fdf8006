// The sock_diag request for tcpinfo's selectors: the socket states ss -t shows by default, and an inet_diag
// bytecode program (linux/inet_diag.h, checked by inet_diag_bc_audit in net/ipv4/inet_diag.c) that keeps a socket
// whose local or remote port is one of the selected ports. Pure.
import { endianness } from "node:os";
import type { FlowSelector } from "../../host/ss.filter.ts";

/** TCP states (include/net/tcp_states.h) by number; the names are ss's (misc/ss.c sstate_name). */
export const TCP_STATE_NAMES: readonly string[] = [
  "UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
];
const TCP_SYN_RECV = 3;
const TCP_TIME_WAIT = 6;
const TCP_CLOSE = 7;
const TCP_LISTEN = 10;

/**
 * idiag_states for `ss -t` without a state filter: ss's SS_CONN, every state but LISTEN, CLOSE, TIME-WAIT and
 * SYN-RECV (iproute2 misc/ss.c). why: the same sockets whichever backend reads them, so series do not change.
 */
export const SS_DEFAULT_STATES = ((1 << 12) - 1) & ~((1 << TCP_LISTEN) | (1 << TCP_CLOSE) | (1 << TCP_TIME_WAIT) | (1 << TCP_SYN_RECV));

export const INET_DIAG_BC_JMP = 1;
export const INET_DIAG_BC_S_EQ = 11;
export const INET_DIAG_BC_D_EQ = 12;
/** One inet_diag_bc_op: u8 code, u8 yes, u16 no (host order); yes/no are byte offsets forward from the op. */
const OP = 4;
/** Per port: S_EQ + its port op, JMP, D_EQ + its port op, JMP. */
export const BLOCK_BYTES = 6 * OP;
/** The attribute length is a u16: 1024 ports (24 KiB) is well inside it. */
export const MAX_BYTECODE_PORTS = 1024;

/**
 * Bytecode accepting a socket whose source or destination port is in `ports` (an OR chain). Per port:
 *   +0  S_EQ  yes=8 (the JMP)   no=12 (D_EQ)            +4  port op (no = port)
 *   +8  JMP   yes=4             no=to the end: accept
 *   +12 D_EQ  yes=8 (the JMP)   no=12 (next block)      +16 port op
 *   +20 JMP   yes=4             no=to the end: accept
 * The last D_EQ's "no" is 16, 4 bytes past the end: inet_diag_bc_run ends with len == -4, a reject.
 * why: inet_diag_bc_audit walks the "yes" chain and accepts a "no" target only on it (valid_cc), so "yes" falls
 * through op by op and the long jumps are the JMPs' u16 "no" (a u8 "yes" could not reach the end anyway).
 */
export function portBytecode(ports: readonly number[]): Buffer {
  if (ports.length === 0 || ports.length > MAX_BYTECODE_PORTS) throw new RangeError(`portBytecode: 1..${MAX_BYTECODE_PORTS} ports, got ${ports.length}`);
  const total = ports.length * BLOCK_BYTES;
  const buf = Buffer.alloc(total);
  const le = endianness() === "LE";
  const op = (at: number, code: number, yes: number, no: number) => {
    buf.writeUInt8(code, at);
    buf.writeUInt8(yes, at + 1);
    if (le) buf.writeUInt16LE(no, at + 2);
    else buf.writeUInt16BE(no, at + 2);
  };
  ports.forEach((port, i) => {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`portBytecode: bad port ${port}`);
    const at = i * BLOCK_BYTES;
    const last = i === ports.length - 1;
    op(at, INET_DIAG_BC_S_EQ, 2 * OP, 3 * OP);
    op(at + OP, 0, 0, port);
    op(at + 2 * OP, INET_DIAG_BC_JMP, OP, total - (at + 2 * OP));
    op(at + 3 * OP, INET_DIAG_BC_D_EQ, 2 * OP, last ? 4 * OP : 3 * OP);
    op(at + 4 * OP, 0, 0, port);
    op(at + 5 * OP, INET_DIAG_BC_JMP, OP, total - (at + 5 * OP));
  });
  return buf;
}

export interface SockDiagRequest {
  states: number;
  /** Absent: dump every socket in `states` (a selector without a port), and filter in TypeScript. */
  bytecode?: Buffer;
}

/** The kernel-side filter for the selectors: by port when every selector has one. */
export function sockDiagRequest(flows: readonly FlowSelector[]): SockDiagRequest {
  const ports = [...new Set(flows.map((f) => f.port))].sort((a, b) => (a ?? 0) - (b ?? 0));
  if (ports.length === 0 || ports.some((p) => p === undefined) || ports.length > MAX_BYTECODE_PORTS) return { states: SS_DEFAULT_STATES };
  return { states: SS_DEFAULT_STATES, bytecode: portBytecode(ports as number[]) };
}
