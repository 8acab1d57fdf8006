// Who this agent is: host name, kernel, machine UUID and network namespace.
import { readFile } from "node:fs/promises";
import { hostname, release } from "node:os";
import type { HostFs } from "./runtime/hostfs.ts";

export interface Identity {
  hostname: string;
  kernel: string;
  machineUuid: string;
  netns: string;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** DMI product_uuid (what the hypervisor gave a guest: QEMU -uuid), else /etc/machine-id, else "". */
export async function machineUuid(fs: HostFs): Promise<string> {
  try {
    const v = (await fs.sys("class/dmi/id/product_uuid")).trim().toLowerCase();
    if (UUID_RE.test(v)) return v;
  } catch {
    // why: product_uuid is root-only (0400) and absent without DMI (containers, some VMs).
  }
  try {
    const v = (await readFile("/etc/machine-id", "utf8")).trim().toLowerCase();
    if (/^[0-9a-f]{32}$/.test(v)) return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
  } catch {
    // no machine-id: leave empty
  }
  return "";
}

/** The network namespace this process lives in, e.g. "net:[4026531840]". */
export async function netnsId(fs: HostFs): Promise<string> {
  try {
    return await fs.procLink("self/ns/net");
  } catch {
    return "";
  }
}

export async function identify(fs: HostFs): Promise<Identity> {
  return { hostname: hostname(), kernel: release(), machineUuid: await machineUuid(fs), netns: await netnsId(fs) };
}
