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
 * The receiver's netdev payload (its bytes less each frame's headers) against what iperf3 moved. When the test ends,
 * bytes are still in flight: written by the sender but not yet on the wire (its socket buffer), or on the receiver's
 * NIC but not yet read (its socket buffer; a guest starved of CPU ends with megabytes there). So the payload lies
 * between what iperf3's receiver read and what its sender wrote (measured under a CPU hog: read 42,558,168 B,
 * netdev 43,052,118 B, sent 45,350,912 B; and up to 3.4 % above what was read with netdev within 0.13 % of sent).
 */
export function receiverWire(r: RunResults): { ok: boolean; detail: string } {
  const rx = Number(r.server.netdev.bytes?.delta);
  const bpp = Number(r.server.netdev.bytes_per_packet);
  const payload = rx / expectedAgreement(bpp);
  const { sender_bytes: sent, receiver_bytes: read } = r.iperf3;
  const ok = payload >= read * 0.98 && payload <= sent * 1.02;
  const detail = `receiver netdev ${rx} B (payload ${payload.toFixed(0)} B at ${bpp.toFixed(0)} B per frame), iperf3 read ${read} B and sent ${sent} B, receiver agreement ${r.throughput.receiver_agreement}`;
  return { ok, detail };
}
