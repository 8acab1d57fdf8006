// Who this agent is: host name, kernel, machine UUID and network namespace.
import { readFile } from "node:fs/promises";
import { hostname, release } from "node:os";
import type { HostFs } from "./runtime/hostfs.ts";
import type { Exec } from "./runtime/exec.ts";

export interface Identity {
  hostname: string;
  kernel: string;
  machineUuid: string;
  /** Where machineUuid came from (see machineId). */
  machineUuidSource: MachineId["source"];
  netns: string;
  cpuModel: string;
  toolVersions: Record<string, string>;
}

/** The first "model name" of /proc/cpuinfo ("" when absent, e.g. on some ARM kernels). */
export async function cpuModel(fs: HostFs): Promise<string> {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(await fs.proc("cpuinfo"))?.[1]?.trim() ?? "";
  } catch {
    return "";
  }
}

/** First line of `<tool> --version` for the tools whose versions go in reproducibility manifests. */
export async function toolVersions(exec: Exec): Promise<Record<string, string>> {
  const tools: Array<[string, string]> = [["iperf3", "iperf3"], ["qemu", "qemu-system-x86_64"]];
  const out: Record<string, string> = {};
  await Promise.all(
    tools.map(async ([key, bin]) => {
      try {
        const r = await exec(bin, ["--version"], { timeoutMs: 5000 });
        out[key] = (r.stdout || r.stderr).split("\n")[0]?.trim() ?? "";
      } catch {
        out[key] = "";
      }
    }),
  );
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** The nil UUID: what a hypervisor that was given no UUID may show (it links no guest to its VM). */
const NIL_UUID = /^[0-]+$/;

export interface MachineId {
  uuid: string;
  /** dmi: the hypervisor's, links a guest to its VM; machine-id: the OS install's, links nothing; none. */
  source: "dmi" | "machine-id" | "none";
}

/** DMI product_uuid (what the hypervisor gave a guest: QEMU -uuid), else /etc/machine-id, else none. */
export async function machineId(fs: HostFs): Promise<MachineId> {
  try {
    const v = (await fs.sys("class/dmi/id/product_uuid")).trim().toLowerCase();
    if (UUID_RE.test(v) && !NIL_UUID.test(v)) return { uuid: v, source: "dmi" };
  } catch {
    // why: product_uuid is root-only (0400) and absent without DMI (containers, some VMs).
  }
  try {
    const v = (await readFile("/etc/machine-id", "utf8")).trim().toLowerCase();
    if (/^[0-9a-f]{32}$/.test(v)) return { uuid: `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`, source: "machine-id" };
  } catch {
    // no machine-id: leave empty
  }
  return { uuid: "", source: "none" };
}

export async function machineUuid(fs: HostFs): Promise<string> {
  return (await machineId(fs)).uuid;
}

/** The network namespace this process lives in, e.g. "net:[4026531840]". */
export async function netnsId(fs: HostFs): Promise<string> {
  try {
    return await fs.procLink("self/ns/net");
  } catch {
    return "";
  }
}

export async function identify(fs: HostFs, exec: Exec): Promise<Identity> {
  const m = await machineId(fs);
  return { hostname: hostname(), kernel: release(), machineUuid: m.uuid, machineUuidSource: m.source, netns: await netnsId(fs), cpuModel: await cpuModel(fs), toolVersions: await toolVersions(exec) };
}
