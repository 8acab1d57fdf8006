// A cheap pre-check for tcpinfo: does any TCP socket in /proc/net/tcp{,6}
// match the configured selectors? When none does, the sampler skips `ss`
// (a process spawn per tick is most of an idle agent's CPU). Pure.
import type { FlowSelector } from "../../host/ss.filter.ts";

export interface ProcSocket {
  local: { addr: string; port: number };
  remote: { addr: string; port: number };
}

/** IPv4 from /proc/net/tcp: 8 hex digits, host (little-endian) byte order. */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
}

/** IPv6 from /proc/net/tcp6: four 32-bit words, each in host byte order. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(Number.parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  const v4mapped = groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff";
  if (v4mapped) return bytes.slice(12).join(".");
  return groups.join(":");
}

function endpoint(field: string | undefined): { addr: string; port: number } | undefined {
  const [addr, port] = (field ?? "").split(":");
  if (!addr || !port || !/^[0-9A-Fa-f]+$/.test(addr + port)) return undefined;
  return { addr: addr.length === 8 ? ipv4(addr) : ipv6(addr), port: Number.parseInt(port, 16) };
}

/** Sockets of /proc/net/tcp or tcp6 text; unparsable lines are skipped (ss is the authority). */
export function parseProcNetTcp(text: string): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = endpoint(cols[1]);
    const remote = endpoint(cols[2]);
    if (local && remote) out.push({ local, remote });
  }
  return out;
}

/** Canonical text of an IP literal for comparison (IPv6 groups without leading zeros, no "::" compression). */
function canonical(addr: string): string {
  if (!addr.includes(":")) return addr;
  const [head = "", tail = ""] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = addr.includes("::") ? Array(8 - h.length - t.length).fill("0") : [];
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16).toString(16)).join(":");
}

function endMatches(end: { addr: string; port: number }, sel: FlowSelector): boolean {
  return (sel.port === undefined || end.port === sel.port) && (sel.address === undefined || canonical(end.addr) === canonical(sel.address));
}

export function anySocketMatches(sockets: readonly ProcSocket[], selectors: readonly FlowSelector[]): boolean {
  return sockets.some((s) => selectors.some((sel) => endMatches(s.local, sel) || endMatches(s.remote, sel)));
}
