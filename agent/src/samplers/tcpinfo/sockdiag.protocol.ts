// The line protocol between the sockdiag client and sockdiag.pl (the grammar is in sockdiag.pl's header). Pure:
// request lines out, reply lines in; a reply line that is not protocol comes back as { kind: "bad" }, never a throw.
import type { SockDiagRequest } from "./sockdiag.bytecode.ts";

export const AF_INET = 2;
export const AF_INET6 = 10;

/** One socket as the kernel reported it (struct inet_diag_msg and its attributes). */
export interface RawSocket {
  family: typeof AF_INET | typeof AF_INET6;
  /** TCP state number (include/net/tcp_states.h). */
  state: number;
  /** Address bytes, network order: 4 (AF_INET) or 16 (AF_INET6). */
  src: Buffer;
  sport: number;
  dst: Buffer;
  dport: number;
  /** idiag_if: the device the socket is bound to, 0 for none. */
  ifindex: number;
  /** INET_DIAG_SKV6ONLY, when the kernel sent it (AF_INET6 only). */
  v6only?: boolean;
  rqueue: bigint;
  wqueue: bigint;
  /** INET_DIAG_CONG. */
  congestion?: string;
  /** INET_DIAG_INFO: struct tcp_info as the kernel sent it (its length depends on the kernel). */
  info?: Buffer;
}

export type HelperRecord =
  | { kind: "socket"; id: number; socket: RawSocket }
  | { kind: "end"; id: number; count: number }
  | { kind: "error"; id: number; errno: number; message: string }
  | { kind: "bad"; problem: string };

/** The request line for query `id`. */
export function requestLine(id: number, request: SockDiagRequest): string {
  return `Q ${id} ${request.states >>> 0} ${request.bytecode === undefined ? "-" : request.bytecode.toString("hex")}\n`;
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const DEC = /^\d{1,10}$/;
/** A congestion control name (TCP_CA_NAME_MAX is 16 with its NUL). */
const CONG = /^[\x21-\x7e]{1,16}$/;

function excerpt(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line);
}

/** One reply line. */
export function parseHelperLine(line: string): HelperRecord {
  const f = line.split(" ");
  const bad = (why: string): HelperRecord => ({ kind: "bad", problem: `${why}: ${excerpt(line)}` });
  const id = f[1] !== undefined && DEC.test(f[1]) ? Number(f[1]) : undefined;
  if (id === undefined) return bad("no request id");
  switch (f[0]) {
    case "E":
      return f.length === 3 && DEC.test(f[2] ?? "") ? { kind: "end", id, count: Number(f[2]) } : bad("bad end record");
    case "X":
      return f.length >= 4 && DEC.test(f[2] ?? "") ? { kind: "error", id, errno: Number(f[2]), message: f.slice(3).join(" ") } : bad("bad error record");
    case "S": {
      const socket = socketFields(f);
      return typeof socket === "string" ? bad(socket) : { kind: "socket", id, socket };
    }
    default:
      return bad("unknown record");
  }
}

/** S <id> <family> <state> <src> <sport> <dst> <dport> <ifindex> <v6only|-> <rqueue> <wqueue> <cong|-> <info|-> */
function socketFields(f: readonly string[]): RawSocket | string {
  if (f.length !== 14) return `socket record with ${f.length} fields, expected 14`;
  const [, , family = "", state = "", src = "", sport = "", dst = "", dport = "", ifindex = "", v6only = "", rq = "", wq = "", cong = "", info = ""] = f;
  for (const n of [family, state, sport, dport, ifindex, rq, wq]) if (!DEC.test(n)) return `bad number ${JSON.stringify(n)}`;
  const fam = Number(family);
  if (fam !== AF_INET && fam !== AF_INET6) return `bad family ${family}`;
  const alen = fam === AF_INET ? 8 : 32;
  if (src.length !== alen || dst.length !== alen || !HEX.test(src) || !HEX.test(dst)) return "bad address";
  if (Number(sport) > 65535 || Number(dport) > 65535) return "bad port";
  if (v6only !== "-" && v6only !== "0" && v6only !== "1") return "bad v6only";
  if (cong !== "-" && !CONG.test(cong)) return "bad congestion name";
  if (info !== "-" && !HEX.test(info)) return "bad tcp_info";
  const out: RawSocket = {
    family: fam,
    state: Number(state),
    src: Buffer.from(src, "hex"),
    sport: Number(sport),
    dst: Buffer.from(dst, "hex"),
    dport: Number(dport),
    ifindex: Number(ifindex),
    rqueue: BigInt(rq),
    wqueue: BigInt(wq),
  };
  if (v6only !== "-") out.v6only = v6only === "1";
  if (cong !== "-") out.congestion = cong;
  if (info !== "-") out.info = Buffer.from(info, "hex");
  return out;
}
