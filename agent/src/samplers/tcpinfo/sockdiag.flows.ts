// tcpinfo's sockdiag backend: one query for the selectors (filtered by port in the kernel), the selectors applied
// exactly here (addresses), and the sockets turned into the TcpFlows the ss parser would have produced.
import type { HostFs } from "../../runtime/hostfs.ts";
import type { FlowSelector } from "../../host/ss.filter.ts";
import { anySocketMatches, type ProcSocket } from "./tcpinfo.proc.ts";
import type { TcpFlow } from "./tcpinfo.parse.ts";
import { sockDiagRequest } from "./sockdiag.bytecode.ts";
import { toFlow } from "./sockdiag.decode.ts";
import { AF_INET, type RawSocket } from "./sockdiag.protocol.ts";
import type { SockDiagQuery } from "./sockdiag.ts";

/** Address text for selector matching (tcpinfo.proc.ts's form): dotted IPv4, also for v4-mapped; else 8 groups. */
function matchAddr(family: number, addr: Buffer): string {
  if (family === AF_INET) return [...addr.subarray(0, 4)].join(".");
  const mapped = addr.subarray(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff;
  if (mapped) return [...addr.subarray(12, 16)].join(".");
  return Array.from({ length: 8 }, (_, i) => addr.readUInt16BE(2 * i).toString(16)).join(":");
}

function asProcSocket(s: RawSocket): ProcSocket {
  return { local: { addr: matchAddr(s.family, s.src), port: s.sport }, remote: { addr: matchAddr(s.family, s.dst), port: s.dport } };
}

/**
 * Interface names by index, as ss prints them after "%" (ll_index_to_name: "if<N>" when unknown). Read from
 * /sys/class/net only when a socket is bound to a device, and again only when an unknown index shows up.
 */
export class IfNames {
  #names = new Map<number, string>();
  #loadedFor = new Set<number>();

  async resolve(fs: HostFs, indexes: Iterable<number>): Promise<(index: number) => string> {
    const missing = [...indexes].filter((i) => i !== 0 && !this.#names.has(i) && !this.#loadedFor.has(i));
    if (missing.length > 0) {
      for (const i of missing) this.#loadedFor.add(i);
      const names = await fs.sysDir("class/net").catch(() => [] as string[]);
      const next = new Map<number, string>();
      await Promise.all(names.map(async (name) => {
        const index = Number((await fs.sys(`class/net/${name}/ifindex`).catch(() => "")).trim());
        if (Number.isInteger(index) && index > 0) next.set(index, name);
      }));
      this.#names = next;
    }
    return (index) => this.#names.get(index) ?? `if${index}`;
  }
}

/** The flows matching `selectors`, read with one sock_diag query. Rejects with SockDiagError. */
export async function sockDiagFlows(client: SockDiagQuery, fs: HostFs, ifNames: IfNames, selectors: readonly FlowSelector[], signal?: AbortSignal): Promise<TcpFlow[]> {
  const sockets = await client.query(sockDiagRequest(selectors), signal);
  const kept = sockets.filter((s) => anySocketMatches([asProcSocket(s)], selectors));
  const name = await ifNames.resolve(fs, kept.map((s) => s.ifindex));
  return kept.map((s) => toFlow(s, name));
}
