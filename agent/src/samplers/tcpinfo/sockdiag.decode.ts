// Pure decoding of sock_diag records into the TcpFlow the ss parser produces: struct tcp_info by byte offset
// (include/uapi/linux/tcp.h), endpoints and states printed as `ss -tinH` prints them (iproute2 misc/ss.c).
// why: a point must have the same tags and fields whichever backend read it, so every field follows ss's rule for
// printing it (tcp_show_info / tcp_stats_print); the ss parser turns "not printed" into "absent", and so does this.
import { endianness } from "node:os";
import type { TcpInfo } from "./tcpinfo.info.ts";
import type { TcpFlow } from "./tcpinfo.parse.ts";
import { TCP_STATE_NAMES } from "./sockdiag.bytecode.ts";
import { AF_INET, type RawSocket } from "./sockdiag.protocol.ts";

/** struct tcp_info byte offsets (include/uapi/linux/tcp.h). */
export const TCPI = {
  app_limited_byte: 7, rto: 8, snd_mss: 16, unacked: 24, lost: 32, retrans: 36, pmtu: 60, rtt: 68, rttvar: 72,
  snd_ssthresh: 76, snd_cwnd: 80, reordering: 88, rcv_rtt: 92, rcv_space: 96, total_retrans: 100, pacing_rate: 104,
  bytes_acked: 120, bytes_received: 128, segs_out: 136, segs_in: 140, notsent_bytes: 144, min_rtt: 148,
  data_segs_in: 152, data_segs_out: 156, delivery_rate: 160, busy_time: 168, rwnd_limited: 176, sndbuf_limited: 184,
  delivered: 192, bytes_sent: 200, bytes_retrans: 208,
} as const;

/** ss's TCP_RTO_MAX check: rto is not printed while it is the initial 3 s (tcp_show_info). */
const RTO_INITIAL_US = 3_000_000;
/** ss prints ssthresh only below this (TCP_INFINITE_SSTHRESH is 0x7fffffff). */
const SSTHRESH_PRINTED_BELOW = 0xffff;
const U32_MAX = 0xffff_ffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

class InfoReader {
  readonly #buf: Buffer;
  readonly #le = endianness() === "LE";
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  /** undefined when the kernel's struct ends before the field (an older kernel). */
  u32(off: number): number | undefined {
    if (off + 4 > this.#buf.length) return undefined;
    return this.#le ? this.#buf.readUInt32LE(off) : this.#buf.readUInt32BE(off);
  }
  u64(off: number): bigint | undefined {
    if (off + 8 > this.#buf.length) return undefined;
    return this.#le ? this.#buf.readBigUInt64LE(off) : this.#buf.readBigUInt64BE(off);
  }
}

/** Sets `key` when ss would print it: present (within the struct) and non-zero; `scale` converts the unit. */
function nonZero(info: TcpInfo, key: keyof TcpInfo, value: number | bigint | undefined, scale = 1n): void {
  if (value === undefined || value === 0 || value === 0n) return;
  (info as Record<string, bigint>)[key] = BigInt(value) * scale;
}

/**
 * struct tcp_info -> TcpInfo, in the ss parser's units (ns, bytes, bits/s). busy/rwnd_limited/sndbuf_limited keep the
 * kernel's microseconds (ns = us * 1000) where ss prints whole ms.
 */
export function decodeTcpInfo(buf: Buffer): TcpInfo {
  const r = new InfoReader(buf);
  const info: TcpInfo = {};
  if (buf.length > TCPI.app_limited_byte) info.app_limited = ((buf[TCPI.app_limited_byte] ?? 0) & 1) === 1;
  const rto = r.u32(TCPI.rto);
  if (rto !== undefined && rto !== RTO_INITIAL_US) nonZero(info, "rto_ns", rto, 1000n);
  const rtt = r.u32(TCPI.rtt);
  if (rtt !== undefined && rtt !== 0) {
    info.rtt_ns = BigInt(rtt) * 1000n;
    info.rttvar_ns = BigInt(r.u32(TCPI.rttvar) ?? 0) * 1000n;
  }
  const mss = r.u32(TCPI.snd_mss);
  const cwnd = r.u32(TCPI.snd_cwnd);
  nonZero(info, "mss_bytes", mss);
  nonZero(info, "pmtu_bytes", r.u32(TCPI.pmtu));
  nonZero(info, "cwnd", cwnd);
  const ssthresh = r.u32(TCPI.snd_ssthresh);
  if (ssthresh !== undefined && ssthresh < SSTHRESH_PRINTED_BELOW) nonZero(info, "ssthresh", ssthresh);
  nonZero(info, "sent_bytes_total", r.u64(TCPI.bytes_sent));
  nonZero(info, "retrans_bytes_total", r.u64(TCPI.bytes_retrans));
  nonZero(info, "acked_bytes_total", r.u64(TCPI.bytes_acked));
  nonZero(info, "received_bytes_total", r.u64(TCPI.bytes_received));
  nonZero(info, "segs_out_total", r.u32(TCPI.segs_out));
  nonZero(info, "segs_in_total", r.u32(TCPI.segs_in));
  nonZero(info, "data_segs_out_total", r.u32(TCPI.data_segs_out));
  nonZero(info, "data_segs_in_total", r.u32(TCPI.data_segs_in));
  // ss: send = cwnd * mss * 8 / rtt (rtt in us) when all three are non-zero, printed "%.0f" with -n.
  if (rtt && mss && cwnd) info.send_rate_bits_per_s = Math.round((cwnd * mss * 8_000_000) / rtt);
  const pacing = r.u64(TCPI.pacing_rate);
  if (pacing !== undefined && pacing !== 0n && pacing !== U64_MAX) info.pacing_rate_bits_per_s = Number(pacing) * 8;
  const delivery = r.u64(TCPI.delivery_rate);
  if (delivery !== undefined && delivery !== 0n) info.delivery_rate_bits_per_s = Number(delivery) * 8;
  nonZero(info, "delivered_total", r.u32(TCPI.delivered));
  const busy = r.u64(TCPI.busy_time);
  if (busy !== undefined && busy !== 0n) {
    info.busy_ns_total = busy * 1000n;
    nonZero(info, "rwnd_limited_ns_total", r.u64(TCPI.rwnd_limited), 1000n);
    nonZero(info, "sndbuf_limited_ns_total", r.u64(TCPI.sndbuf_limited), 1000n);
  }
  impliedFields(info, r);
  nonZero(info, "rcv_rtt_ns", r.u32(TCPI.rcv_rtt), 1000n);
  nonZero(info, "rcv_space_bytes", r.u32(TCPI.rcv_space));
  nonZero(info, "notsent_bytes", r.u32(TCPI.notsent_bytes));
  const minRtt = r.u32(TCPI.min_rtt);
  if (minRtt !== U32_MAX) nonZero(info, "minrtt_ns", minRtt, 1000n);
  // The ss parser's rule (tcpinfo.info.ts): with minrtt, notsent is always there, 0 when ss would not print it.
  if (info.minrtt_ns !== undefined) info.notsent_bytes ??= 0n;
  return info;
}

/** Fields the ss parser reads as their default when ss did not print them (tcpinfo.info.ts IMPLIED): always set. */
function impliedFields(info: TcpInfo, r: InfoReader): void {
  const set = (key: "unacked" | "lost" | "reordering" | "retrans_inflight" | "retrans_total", v: number | undefined) => {
    if (v !== undefined) info[key] = BigInt(v);
  };
  set("unacked", r.u32(TCPI.unacked));
  set("retrans_inflight", r.u32(TCPI.retrans));
  set("retrans_total", r.u32(TCPI.total_retrans));
  set("lost", r.u32(TCPI.lost));
  set("reordering", r.u32(TCPI.reordering));
}

/** IPv6 text as glibc's inet_ntop writes it (longest run of >= 2 zero groups as "::", embedded IPv4 forms). */
export function ipv6Text(b: Buffer): string {
  const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
    else if (cur.base >= 0) {
      if (best.base < 0 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      return `${out}${[...b.subarray(12, 16)].join(".")}`;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ":";
  return out;
}

/**
 * "addr:port" as ss -n prints it (inet_addr_print): IPv4 dotted; IPv6 in brackets, "*" for :: on a dual-stack
 * socket; "%ifname" after the address when the socket is bound to a device; port 0 as "*".
 */
export function endpointText(family: number, addr: Buffer, port: number, v6only: boolean, ifname?: string): string {
  let text: string;
  if (family === AF_INET) text = [...addr.subarray(0, 4)].join(".");
  else if (!v6only && addr.every((x) => x === 0)) text = "*";
  else text = `[${ipv6Text(addr)}]`;
  return `${text}${ifname === undefined ? "" : `%${ifname}`}:${port === 0 ? "*" : port}`;
}

/** ss's state name for a TCP state number. */
export function stateName(state: number): string {
  return TCP_STATE_NAMES[state] ?? "UNKNOWN";
}

/** A sock_diag socket as the ss parser would have produced it; `ifname` resolves idiag_if (ss: "if<N>" when unknown). */
export function toFlow(s: RawSocket, ifname: (index: number) => string): TcpFlow {
  const v6only = s.v6only ?? false;
  const flow: TcpFlow = {
    state: stateName(s.state),
    recvQBytes: s.rqueue,
    sendQBytes: s.wqueue,
    local: endpointText(s.family, s.src, s.sport, v6only, s.ifindex === 0 ? undefined : ifname(s.ifindex)),
    remote: endpointText(s.family, s.dst, s.dport, v6only),
    localPort: s.sport,
    remotePort: s.dport,
    info: s.info === undefined ? {} : decodeTcpInfo(s.info),
    hasInfo: s.info !== undefined,
  };
  if (s.congestion !== undefined && s.info !== undefined) flow.congestion = s.congestion;
  return flow;
}
