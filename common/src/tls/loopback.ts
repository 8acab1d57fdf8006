// Which listen or connect addresses stay on this machine. Used by the rule "plaintext only on loopback": a
// collector binding, or an agent connecting, without TLS to any other address needs an explicit `insecure: true`.
import { isIP } from "node:net";

/**
 * True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and the name "localhost" (case-insensitive, RFC 6761 reserves it
 * for loopback); brackets around an IPv6 literal are allowed. Any other name counts as not loopback: its
 * resolution is not ours to trust. "0.0.0.0" and "::" (every interface) are not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (h === "localhost" || h === "localhost.") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) {
    if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && (mapped[1] as string).startsWith("127.");
  }
  return false;
}

/** The host of "host:port" or "[v6]:port" (the port is whatever follows the last colon). */
export function hostOfAddress(address: string): string {
  const i = address.lastIndexOf(":");
  return i < 0 ? address : address.slice(0, i);
}
