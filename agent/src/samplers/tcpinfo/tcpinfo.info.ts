// Pure parser of ss's TCP_INFO tokens ("rtt:0.05/0.01", "send 1.2Gbps", "busy:12ms", ...) into typed values.
// Units out: durations in ns, sizes in bytes, rates in bits/s.

export interface TcpInfo {
  rto_ns?: bigint;
  rtt_ns?: bigint;
  rttvar_ns?: bigint;
  minrtt_ns?: bigint;
  rcv_rtt_ns?: bigint;
  mss_bytes?: bigint;
  pmtu_bytes?: bigint;
  rcv_space_bytes?: bigint;
  cwnd?: bigint;
  ssthresh?: bigint;
  sent_bytes_total?: bigint;
  acked_bytes_total?: bigint;
  received_bytes_total?: bigint;
  retrans_bytes_total?: bigint;
  segs_out_total?: bigint;
  segs_in_total?: bigint;
  data_segs_out_total?: bigint;
  data_segs_in_total?: bigint;
  /** tcpi_retrans: segments retransmitted and not yet acked (the "a" of retrans:a/b). */
  retrans_inflight?: bigint;
  /** tcpi_total_retrans (the "b" of retrans:a/b). */
  retrans_total?: bigint;
  lost?: bigint;
  reordering?: bigint;
  unacked?: bigint;
  notsent_bytes?: bigint;
  delivered_total?: bigint;
  busy_ns_total?: bigint;
  rwnd_limited_ns_total?: bigint;
  sndbuf_limited_ns_total?: bigint;
  send_rate_bits_per_s?: number;
  pacing_rate_bits_per_s?: number;
  delivery_rate_bits_per_s?: number;
  app_limited?: boolean;
}

type BigKey = { [K in keyof TcpInfo]-?: TcpInfo[K] extends bigint | undefined ? K : never }[keyof TcpInfo];
type RateKey = "send_rate_bits_per_s" | "pacing_rate_bits_per_s" | "delivery_rate_bits_per_s";

const INTEGERS: Readonly<Record<string, BigKey>> = {
  mss: "mss_bytes", pmtu: "pmtu_bytes", rcv_space: "rcv_space_bytes", cwnd: "cwnd", ssthresh: "ssthresh",
  bytes_sent: "sent_bytes_total", bytes_acked: "acked_bytes_total", bytes_received: "received_bytes_total",
  bytes_retrans: "retrans_bytes_total", segs_out: "segs_out_total", segs_in: "segs_in_total",
  data_segs_out: "data_segs_out_total", data_segs_in: "data_segs_in_total", lost: "lost",
  reordering: "reordering", unacked: "unacked", notsent: "notsent_bytes", delivered: "delivered_total",
};
/** ss prints these in ms with up to 3 decimals (kernel us / 1000). */
const MILLIS: Readonly<Record<string, BigKey>> = { rto: "rto_ns", minrtt: "minrtt_ns", rcv_rtt: "rcv_rtt_ns" };
/** "1484ms" or "12ms(0.8%)": cumulative time (kernel us, printed in whole ms). */
const LIMITED: Readonly<Record<string, BigKey>> = { busy: "busy_ns_total", rwnd_limited: "rwnd_limited_ns_total", sndbuf_limited: "sndbuf_limited_ns_total" };
/** "send 1.2Gbps": a bare key followed by a rate token. */
const RATES: Readonly<Record<string, RateKey>> = { send: "send_rate_bits_per_s", pacing_rate: "pacing_rate_bits_per_s", delivery_rate: "delivery_rate_bits_per_s" };
const FLAGS = new Set(["ts", "sack", "ecn", "ecnseen", "fastopen", "app_limited"]);
/**
 * why: ss prints these only when non-zero (reordering only when != 3), yet every kernel's TCP_INFO has them,
 * so absence on an info line means that value. Newer fields (bytes_*, busy, delivered) stay absent instead:
 * there absence may also mean an older kernel.
 */
const IMPLIED: Readonly<Partial<Record<BigKey, bigint>>> = { unacked: 0n, retrans_inflight: 0n, retrans_total: 0n, lost: 0n, reordering: 3n };
const PREFIX: Readonly<Record<string, number>> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Milliseconds with optional decimals -> integer ns; undefined when malformed. */
export function msToNs(text: string): bigint | undefined {
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const ns = Math.round(Number(text) * 1e6);
  return Number.isSafeInteger(ns) ? BigInt(ns) : undefined;
}

/** "300Mbps", "1.2Gbps", "32768000000bps" -> bits/s (ss uses powers of 1000); undefined when malformed. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)bps$/.exec(text);
  if (m === null) return undefined;
  const bps = Number(m[1]) * (PREFIX[m[2] ?? ""] ?? 1);
  return Number.isFinite(bps) ? bps : undefined;
}

export interface InfoTokens {
  info: TcpInfo;
  congestion?: string;
  errors: string[];
}

export function parseInfoTokens(tokens: readonly string[]): InfoTokens {
  const out: InfoTokens = { info: {}, errors: [] };
  let seenKeyValue = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const rateKey = RATES[token];
    if (rateKey !== undefined) {
      const value = tokens[++i] ?? "";
      // why: pacing_rate may carry the socket's max after a slash ("pacing_rate 1Gbps/2Gbps").
      const bps = parseRate(value.split("/")[0] ?? "");
      if (bps === undefined) out.errors.push(`bad ${token} rate ${JSON.stringify(value)}`);
      else out.info[rateKey] = bps;
      continue;
    }
    const colon = token.indexOf(":");
    if (colon > 0) {
      seenKeyValue = true;
      const problem = keyValue(out.info, token.slice(0, colon), token.slice(colon + 1));
      if (problem !== undefined) out.errors.push(problem);
    } else if (token === "app_limited") out.info.app_limited = true;
    // why: ss prints the congestion algorithm as a bare word after the flags and before "wscale:".
    else if (!seenKeyValue && !FLAGS.has(token) && /^[a-z][a-z0-9_]*$/.test(token)) out.congestion = token;
  }
  if (tokens.length > 0) {
    out.info.app_limited ??= false;
    for (const [key, value] of Object.entries(IMPLIED) as Array<[BigKey, bigint]>) out.info[key] ??= value;
    // why: notsent and minrtt came together (Linux 4.6): where ss printed minrtt, a missing notsent means 0, and a
    // queue that drains to 0 between samples stays a series with zeros instead of vanishing.
    if (out.info.minrtt_ns !== undefined) out.info.notsent_bytes ??= 0n;
  }
  return out;
}

/** Applies one "key:value" token; returns a problem for a known key with a malformed value. */
function keyValue(info: TcpInfo, key: string, value: string): string | undefined {
  const bad = `bad ${key} ${JSON.stringify(value)}`;
  if (key in INTEGERS) return set(info, INTEGERS[key] as BigKey, /^\d+$/.test(value) ? BigInt(value) : undefined, bad);
  if (key in MILLIS) return set(info, MILLIS[key] as BigKey, msToNs(value), bad);
  if (key in LIMITED) {
    const m = /^(\d+)ms(\([\d.]+%\))?$/.exec(value);
    return set(info, LIMITED[key] as BigKey, m === null ? undefined : BigInt(m[1] as string) * 1_000_000n, bad);
  }
  if (key === "rtt" || key === "retrans") {
    const [a = "", b = "", ...extra] = value.split("/");
    const parse = key === "rtt" ? msToNs : (t: string) => (/^\d+$/.test(t) ? BigInt(t) : undefined);
    const [va, vb] = [parse(a), parse(b)];
    if (va === undefined || vb === undefined || extra.length > 0) return bad;
    if (key === "rtt") [info.rtt_ns, info.rttvar_ns] = [va, vb];
    else [info.retrans_inflight, info.retrans_total] = [va, vb];
  }
  return undefined;
}

function set(info: TcpInfo, key: BigKey, value: bigint | undefined, bad: string): string | undefined {
  if (value === undefined) return bad;
  info[key] = value;
  return undefined;
}
