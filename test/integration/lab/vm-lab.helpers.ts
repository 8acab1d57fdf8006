// What the VM lab test reads: the lab's state file, its API, and what is left of it on this host.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { VmLabState } from "../../../cli/src/lab/vm/state.ts";
import type { RunResults } from "../../../collector/src/run/results.ts";

export function readLabState(file: string): VmLabState {
  return JSON.parse(readFileSync(file, "utf8")) as VmLabState;
}

export async function labApi(s: VmLabState, path: string): Promise<unknown> {
  const token = readFileSync(s.tokenFile, "utf8").split("\n")[0]?.trim() ?? "";
  const res = await fetch(s.api + path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Links with the run's prefix, its guests' QEMU processes (by name), its run directory and its subnet's lock. */
export async function labLeftovers(s: VmLabState): Promise<string[]> {
  const left = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).split("\n").filter((l) => l.includes(s.linkPrefix)).map((l) => `link ${l.split(":")[1]?.trim()}`);
  const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).split("\n");
  for (const g of s.guests) if (ps.some((l) => l.includes(`guest=${g.name},`))) left.push(`qemu ${g.name}`);
  if (existsSync(s.runDir)) left.push(`dir ${s.runDir}`);
  const lock = `/run/lock/eastwest-lab-vm/${s.serverAddress.split(".").slice(0, 3).join(".")}.lock`;
  if (existsSync(lock)) left.push(`lock ${lock}`);
  return left;
}

/** Bytes of headers netdev counts in each frame and iperf3 does not: Ethernet 14, IPv4 20, TCP with timestamps 32. */
export const FRAME_HEADER_BYTES = 66;

/**
 * netdev bytes over iperf3 bytes when they agree: every frame adds its headers. Large TSO/GRO frames make that ~0.1 %,
 * MTU-sized ones ~4.6 %.
 */
export function expectedAgreement(bytesPerPacket: number): number {
  return bytesPerPacket / (bytesPerPacket - FRAME_HEADER_BYTES);
}

/**
 * The receiver's netdev bytes against the bytes that crossed the wire, and what headers make that ratio. iperf3's
 * receiver figure counts only what its process read: a guest starved of CPU ends the test with megabytes still in its
 * socket buffer (measured under a CPU hog: up to 3.4 % of the bytes sent, while netdev stayed within 0.13 % of them),
 * so the wire's reference is iperf3's bytes sent.
 */
export function receiverWire(r: RunResults): { agreement: number; expected: number; detail: string } {
  const rx = Number(r.server.netdev.bytes?.delta);
  const sent = r.iperf3.sender_bytes;
  const bpp = Number(r.server.netdev.bytes_per_packet);
  const agreement = rx / sent;
  const detail = `receiver netdev ${rx} B, iperf3 sent ${sent} B and read ${r.iperf3.receiver_bytes} B, ${bpp.toFixed(0)} B per frame (headers: ${expectedAgreement(bpp).toFixed(4)}), receiver agreement ${r.throughput.receiver_agreement}`;
  return { agreement, expected: expectedAgreement(bpp), detail };
}
